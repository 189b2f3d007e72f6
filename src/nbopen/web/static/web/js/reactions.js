/* Reactions without a page reload: the forms post as they do without JavaScript, this
   sends them with fetch and redraws the counts from the JSON answer. */
(function () {
  "use strict";
  function draw(box, reactions, form) {
    var counts = box.querySelector(".reaction-counts");
    var template = form.cloneNode(true);
    counts.textContent = "";
    reactions.forEach(function (r) {
      var f = template.cloneNode(true);
      f.querySelector("input[name=content]").value = r.content;
      var b = f.querySelector("button");
      b.className = "btn btn-small reaction" + (r.mine ? " reaction-mine" : "");
      b.setAttribute("aria-pressed", r.mine ? "true" : "false");
      b.dataset.content = r.content;
      b.textContent = r.emoji + " ";
      var n = document.createElement("span");
      n.className = "count";
      n.textContent = String(r.count);
      b.appendChild(n);
      bind(f);
      counts.appendChild(f);
    });
  }
  function bind(form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var box = form.closest(".reactions");
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (res) {
        if (!res.ok) { throw new Error(String(res.status)); }
        return res.json();
      }).then(function (data) {
        var menu = box.querySelector("details.reaction-menu");
        if (menu) { menu.removeAttribute("open"); }
        draw(box, data.reactions, form);
      }).catch(function () { form.submit(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.js-react").forEach(bind);
  });
})();
