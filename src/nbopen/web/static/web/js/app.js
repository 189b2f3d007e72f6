/* NBopen progressive enhancement. Every page works without this file. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // The language <select> submits itself; the fallback button is for no-JS visitors.
    document.querySelectorAll(".js-autosubmit").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
    document.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });
    // Copy buttons: copy the text of the element named by data-copy-target.
    document.querySelectorAll(".js-copy").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var target = document.getElementById(btn.getAttribute("data-copy-target"));
        if (!target) { return; }
        var text = target.value !== undefined && target.tagName === "INPUT" ? target.value : target.textContent;
        var done = function () {
          var old = btn.textContent;
          btn.textContent = "✓";
          setTimeout(function () { btn.textContent = old; }, 1200);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done);
        } else {
          if (target.select) { target.select(); }
          try { document.execCommand("copy"); done(); } catch (e) { /* leave it selected */ }
        }
      });
    });
    // Close open menus when clicking elsewhere.
    document.addEventListener("click", function (ev) {
      document.querySelectorAll("details.menu[open]").forEach(function (d) {
        if (!d.contains(ev.target)) { d.removeAttribute("open"); }
      });
    });
  });
})();
