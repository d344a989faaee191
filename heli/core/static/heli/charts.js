/* Charts of the staff pages, drawn with ECharts (served by heli from the npm package). */
window.heliCharts = (function () {
  "use strict";
  var RED = ["#c8161d", "#e0663a", "#f5c242", "#8c1c13", "#d98e73", "#b0453b", "#f2a65a"];
  function init(id) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) { return null; }
    var chart = window.echarts.init(el);
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }
  function dashboard(data, labels) {
    var stations = init("chart-stations");
    if (stations) {
      stations.setOption({
        color: RED, tooltip: { trigger: "item" },
        series: [{ type: "pie", radius: ["40%", "70%"], data: data.stations, label: { formatter: "{b}\n{c}" } }]
      });
    }
    var orgs = init("chart-orgs");
    if (orgs) {
      orgs.setOption({
        color: RED, tooltip: {}, grid: { left: 120, right: 30, top: 10, bottom: 30 },
        xAxis: { type: "value" },
        yAxis: { type: "category", data: data.orgs.map(function (o) { return o.name; }) },
        series: [{ type: "bar", data: data.orgs.map(function (o) { return o.value; }), label: { show: true, position: "right" } }]
      });
    }
    var towns = init("chart-towns");
    if (towns) {
      var names = data.towns.map(function (t) { return t.name; });
      var series = ["grids", "branches", "stations"].map(function (key) {
        return { name: labels[key], type: "bar", data: data.towns.map(function (t) { return t[key]; }), label: { show: true, position: "top" } };
      });
      towns.setOption({ color: RED, tooltip: { trigger: "axis" }, legend: {}, xAxis: { type: "category", data: names }, yAxis: { type: "value" }, series: series });
    }
  }
  function regionMap(id, geojson, detailUrl) {
    var chart = init(id);
    if (!chart) { return; }
    window.echarts.registerMap("heli-region", geojson);
    chart.setOption({
      tooltip: { trigger: "item", formatter: "{b}" },
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
      color: ["#f5c242", "#e0663a", "#c8161d", "#8c1c13", "#b0453b"], tooltip: { trigger: "axis" }, legend: {},
      grid: { left: 40, right: 20, top: 40, bottom: 60 },
      xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: data.names.length > 8 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) { return { name: s.name, type: "bar", stack: "all", data: s.data }; })
    });
  }
  return { dashboard: dashboard, regionMap: regionMap, stackedBar: stackedBar };
})();
