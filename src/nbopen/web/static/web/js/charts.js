/* NBopen charts: render ECharts from JSON the server put in the page.
 *
 * Why this shape: the page CSP forbids inline scripts, so a template cannot call echarts itself.
 * Instead a template writes the complete ECharts option as data and marks where it goes:
 *
 *   {{ option|json_script:"downloads-chart" }}
 *   <div class="chart" data-chart="downloads-chart" aria-label="…"></div>
 *   <script src="{% static 'vendor/echarts/echarts.min.js' %}" defer></script>
 *   <script src="{% static 'web/js/charts.js' %}" defer></script>
 *
 * Any chart type works because the option is passed through untouched. Two small extensions:
 *  - a series data item with a "url" field becomes a link (click navigates there);
 *  - data-chart-height="240" sets the height in pixels (default 280).
 * After the first frame is drawn the element gets data-rendered="true", which browser tests wait
 * for. Charts follow the container's width when the window is resized. A chart whose JSON is
 * missing or malformed leaves its text fallback (the element's children) in place.
 */
(function () {
  "use strict";

  function render(el) {
    if (typeof window.echarts === "undefined") { return; }
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source) { return; }
    var option;
    try { option = JSON.parse(source.textContent); } catch (e) { return; }
    var height = parseInt(el.getAttribute("data-chart-height") || "280", 10);
    el.style.height = height + "px";
    while (el.firstChild) { el.removeChild(el.firstChild); }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.on("finished", function () { el.setAttribute("data-rendered", "true"); });
    chart.on("click", function (params) {
      var data = params && params.data;
      if (data && typeof data === "object" && typeof data.url === "string" && data.url.charAt(0) === "/") {
        window.location.assign(data.url);
      }
    });
    if (option.animation === undefined) { option.animation = false; }
    chart.setOption(option);
    return chart;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var charts = [];
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      var chart = render(el);
      if (chart) { charts.push(chart); }
    });
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) { clearTimeout(pending); }
      pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
    });
  });
})();
