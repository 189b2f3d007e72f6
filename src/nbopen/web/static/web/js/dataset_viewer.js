/* Dataset viewer: progressive enhancement only (the page works without it).
 * Choosing a subset/split in the <select> opens it at once; the plain links stay for no-JS.
 */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".js-split-select").forEach(function (select) {
      select.addEventListener("change", function () {
        var target = select.value;
        if (target.charAt(0) === "?") { window.location.assign(target); }
      });
    });
  });
})();
