/* Charts of the staff pages, drawn with ECharts (served by heli from the npm package). */
window.heliCharts = (function () {
  "use strict";
  var RED = ["#c8161d", "#e0663a", "#f5c242", "#8c1c13", "#d98e73", "#b0453b", "#f2a65a"];
  // Tooltips drawn on the chart's canvas: ECharts' HTML tooltips carry style attributes, which
  // the Content-Security-Policy refuses (style-src 'self').
  function tooltip(options) {
    return Object.assign({ renderMode: "richText" }, options || {});
  }
  function init(id) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) { return null; }
    var chart = window.echarts.init(el);
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }
  // A chart with nothing to show says so instead of drawing empty axes.
  function empty(id, text) {
    var el = document.getElementById(id);
    if (el) {
      el.classList.add("chart-empty");
      el.setAttribute("data-testid", "chart-empty");
      el.textContent = text;
    }
  }
  function pie(id, slices, emptyText) {
    // Zero slices are left out: they would only pile their labels on top of each other.
    var data = slices.filter(function (s) { return s.value > 0; });
    if (!data.length) { empty(id, emptyText); return; }
    var chart = init(id);
    if (!chart) { return; }
    chart.setOption({
      color: RED, tooltip: tooltip({ trigger: "item" }),
      series: [{ type: "pie", radius: ["40%", "70%"], data: data, avoidLabelOverlap: true,
                 label: { formatter: "{b}\n{c}" }, labelLine: { length: 8, length2: 8 } }]
    });
  }
  function dashboard(data, labels) {
    if (data.stations) { pie("chart-stations", data.stations, labels.empty); }
    if (data.states) { pie("chart-states", data.states, labels.empty); }
    if (data.orgs) {
      if (!data.orgs.some(function (o) { return o.value > 0; })) { empty("chart-orgs", labels.empty); }
      else {
        var orgs = init("chart-orgs");
        if (orgs) {
          orgs.setOption({
            color: RED, tooltip: tooltip(), grid: { left: 120, right: 30, top: 10, bottom: 30 },
            xAxis: { type: "value", minInterval: 1 },
            yAxis: { type: "category", data: data.orgs.map(function (o) { return o.name; }) },
            series: [{ type: "bar", data: data.orgs.map(function (o) { return o.value; }), label: { show: true, position: "right" } }]
          });
        }
      }
    }
    if (data.children) {
      if (!data.children.length) { empty("chart-children", labels.empty); return; }
      var children = init("chart-children");
      if (!children) { return; }
      var names = data.children.map(function (t) { return t.name; });
      var series = ["grids", "branches", "stations"].map(function (key) {
        return { name: labels[key], type: "bar", data: data.children.map(function (t) { return t[key]; }), label: { show: names.length <= 12, position: "top" } };
      });
      children.setOption({
        color: RED, tooltip: tooltip({ trigger: "axis" }), legend: {},
        grid: { left: 40, right: 20, top: 40, bottom: names.length > 8 ? 70 : 30 },
        xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 8 ? 30 : 0 } },
        yAxis: { type: "value", minInterval: 1 }, series: series
      });
    }
  }
  function regionMap(id, geojson, detailUrl) {
    var chart = init(id);
    if (!chart) { return; }
    window.echarts.registerMap("heli-region", geojson);
    chart.setOption({
      tooltip: tooltip({ trigger: "item", formatter: "{b}" }),
      series: [{
        type: "map", map: "heli-region", roam: true, selectedMode: false,
        label: { show: true, fontSize: 10 },
        itemStyle: { areaColor: "#fdeceb", borderColor: "#c8161d" },
        emphasis: { itemStyle: { areaColor: "#f5c242" } },
        data: geojson.features.map(function (f) { return { name: f.properties.name, id: f.properties.id }; })
      }]
    });
    chart.on("click", function (params) {
      if (params.data && params.data.id) { window.location = detailUrl.replace(/0\/$/, params.data.id + "/"); }
    });
  }
  // A stacked bar per category (towns, grids): data = {names: [...], series: [{name, data}]}.
  function stackedBar(id, data) {
    var chart = init(id);
    if (!chart) { return; }
    chart.setOption({
      color: ["#f5c242", "#e0663a", "#c8161d", "#8c1c13", "#b0453b"], tooltip: tooltip({ trigger: "axis" }), legend: {},
      grid: { left: 40, right: 20, top: 40, bottom: 60 },
      xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: data.names.length > 8 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) { return { name: s.name, type: "bar", stack: "all", data: s.data }; })
    });
  }
  return { dashboard: dashboard, regionMap: regionMap, stackedBar: stackedBar, tooltip: tooltip };
})();
