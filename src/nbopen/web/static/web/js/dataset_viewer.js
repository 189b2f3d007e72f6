/* Dataset viewer: progressive enhancement only (the page works without it).
 * Choosing a subset/split in the <select> opens it at once; the plain links stay for no-JS.
 * "Add condition" appends another empty row to the filter builder.
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
    // The filter form ships a few empty condition rows; with JS one can add more.
    document.querySelectorAll(".js-add-condition").forEach(function (button) {
      var rows = button.form && button.form.querySelector(".builder-rows");
      if (!rows) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        var last = rows.querySelector(".builder-row:last-child");
        if (!last) { return; }
        var copy = last.cloneNode(true);
        copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        copy.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
        rows.appendChild(copy);
      });
    });
  });
})();
