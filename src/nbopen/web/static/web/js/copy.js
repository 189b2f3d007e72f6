/* Copy buttons: shown only when script runs (they are rendered hidden), they copy the text of
   the element named by data-copy-target and say so for a moment. */
(function () {
  "use strict";
  function copyText(target) {
    return target.tagName === "INPUT" || target.tagName === "TEXTAREA" ? target.value : target.textContent;
  }
  function fallback(target, text) {
    // Insecure contexts have no clipboard API: select the text and use the old command.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "copy-scratch";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    if (!ok && target.select) { target.select(); }
    return ok;
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".js-copy").forEach(function (btn) {
      btn.hidden = false;
      btn.addEventListener("click", function () {
        var target = document.getElementById(btn.getAttribute("data-copy-target"));
        if (!target) { return; }
        var text = copyText(target);
        var label = btn.textContent;
        var done = function () {
          btn.textContent = btn.getAttribute("data-copied") || "✓";
          btn.classList.add("copied");
          setTimeout(function () { btn.textContent = label; btn.classList.remove("copied"); }, 1500);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done, function () { if (fallback(target, text)) { done(); } });
        } else if (fallback(target, text)) {
          done();
        }
      });
    });
  });
})();
