/* Instant suggestions for the header search box.
 *
 * Progressive enhancement: without this file the box is a plain GET form to /search.
 * While the visitor types, asks GET {data-suggest-url}?q=… (the search service's prefix
 * query, privacy applied on the server) and lists the hits under the box. Arrow keys move,
 * Enter opens the chosen hit (or submits the search), Escape closes. Requests are debounced
 * and a late answer to an older query is dropped. Text is inserted with textContent only.
 */
(function () {
  "use strict";
  var DELAY_MS = 120;
  var LABELS = { model: "M", dataset: "D", code: "C", org: "O", user: "U" };

  function setup(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var url = input.getAttribute("data-suggest-url");
    if (!list || !url) { return; }
    var timer = null;
    var serial = 0;
    var active = -1;

    function close() {
      list.hidden = true;
      list.textContent = "";
      active = -1;
      input.setAttribute("aria-expanded", "false");
    }

    function items() { return list.querySelectorAll("li a"); }

    function highlight(index) {
      var links = items();
      if (!links.length) { return; }
      active = (index + links.length) % links.length;
      links.forEach(function (a, i) {
        a.classList.toggle("active", i === active);
        a.parentNode.setAttribute("aria-selected", i === active ? "true" : "false");
      });
    }

    function render(q, results) {
      // Keep the visitor's arrow-key choice when a later answer lists the same hit.
      var links = items();
      var chosen = active >= 0 && links[active] ? links[active].getAttribute("href") : null;
      list.textContent = "";
      active = -1;
      list.setAttribute("data-q", q);
      if (!results.length) { close(); return; }
      results.forEach(function (r) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        var a = document.createElement("a");
        a.href = r.url;
        a.className = "suggestion suggestion-" + r.type;
        var badge = document.createElement("span");
        badge.className = "badge badge-" + r.type;
        badge.textContent = LABELS[r.type] || r.type;
        var title = document.createElement("span");
        title.className = "suggestion-title";
        title.textContent = r.id;
        a.appendChild(badge);
        a.appendChild(title);
        if (r.description) {
          var desc = document.createElement("small");
          desc.className = "muted";
          desc.textContent = r.description;
          a.appendChild(desc);
        }
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      if (chosen) {
        items().forEach(function (a, i) { if (a.getAttribute("href") === chosen) { highlight(i); } });
      }
    }

    function ask() {
      var q = input.value.trim();
      if (!q) { close(); return; }
      var mine = ++serial;
      fetch(url + "?q=" + encodeURIComponent(q) + "&limit=8", {
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : { results: [] };
      }).then(function (data) {
        if (mine === serial) { render(q, data.results || []); }
      }).catch(function () { if (mine === serial) { close(); } });
    }

    input.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(ask, DELAY_MS);
    });
    input.addEventListener("keydown", function (ev) {
      if (list.hidden) { return; }
      if (ev.key === "ArrowDown") { ev.preventDefault(); highlight(active + 1); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); highlight(active - 1); }
      else if (ev.key === "Escape") { close(); }
      else if (ev.key === "Enter" && active >= 0) {
        ev.preventDefault();
        window.location.href = items()[active].href;
      }
    });
    document.addEventListener("click", function (ev) {
      if (ev.target !== input && !list.contains(ev.target)) { close(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-suggest-url]").forEach(setup);
  });
})();
