/* Insights pages: the printable report's "Print" button (no inline handlers under the CSP). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".js-print").forEach(function (btn) {
      btn.addEventListener("click", function () { window.print(); });
    });
  });
})();
