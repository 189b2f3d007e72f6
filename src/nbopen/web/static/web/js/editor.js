/* The editor's Markdown preview: posts the textarea to the server's preview endpoint (the
   same sanitiser as READMEs) and shows the result. Without script the form works as is. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("preview-button");
    var form = document.getElementById("edit-form");
    var preview = document.getElementById("preview");
    if (!button || !form || !preview) { return; }
    var content = form.querySelector("textarea[name=content]");
    var path = form.querySelector("input[name=path]");
    var isMarkdown = function () { return /\.(md|markdown)$/i.test(path ? path.value : ""); };
    var sync = function () { button.hidden = !isMarkdown(); };
    sync();
    if (path) { path.addEventListener("input", sync); }
    button.addEventListener("click", function () {
      if (!preview.hidden) { preview.hidden = true; content.hidden = false; return; }
      var body = new FormData();
      body.append("text", content.value);
      body.append("csrfmiddlewaretoken", form.querySelector("input[name=csrfmiddlewaretoken]").value);
      fetch(button.getAttribute("data-preview-url"), { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { preview.innerHTML = html; preview.hidden = false; content.hidden = true; })
        .catch(function () { preview.hidden = true; });
    });
  });
})();
