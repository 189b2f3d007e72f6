/* NBopen progressive enhancement. Every page works without this file. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // The language <select> submits itself; the fallback button is for no-JS visitors.
    document.querySelectorAll(".js-autosubmit").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
    document.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });
    // Close open menus when clicking elsewhere.
    document.addEventListener("click", function (ev) {
      document.querySelectorAll("details.menu[open]").forEach(function (d) {
        if (!d.contains(ev.target)) { d.removeAttribute("open"); }
      });
    });
  });
})();
