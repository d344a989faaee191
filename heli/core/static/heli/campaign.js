/* The campaign page's chart: tasks per town or grid, stacked by outcome; its height (one bar
   per row) from the chart's data-height. */
(function () {
  "use strict";
  var el = document.getElementById("chart-campaign");
  var source = document.getElementById("campaign-chart-data");
  if (!el || !source || !window.echarts || !window.heliCharts) { return; }
  var data = JSON.parse(source.textContent);
  el.style.height = el.getAttribute("data-height") + "px";
  var colors = { located: "#c8161d", returned: "#f5c242", transferred: "#e0663a", unreachable: "#6b5d57", pending: "#e6dcd5" };
  var chart = window.echarts.init(el);
  chart.setOption({
    tooltip: window.heliCharts.tooltip({ trigger: "axis", axisPointer: { type: "shadow" } }),
    legend: { top: 0 },
    grid: { left: 10, right: 30, top: 36, bottom: 10, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: data.names, inverse: true },
    series: data.series.map(function (s) {
      return { name: s.name, type: "bar", stack: "tasks", data: s.data, itemStyle: { color: colors[s.key] } };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
