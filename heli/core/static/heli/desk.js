/* The desk's charts: data from the page's JSON, labels from the chart row's attributes. */
(function () {
  "use strict";
  var row = document.getElementById("desk-charts");
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  window.heliCharts.dashboard(data, {
    empty: row.getAttribute("data-empty"),
    grids: row.getAttribute("data-label-grids"),
    branches: row.getAttribute("data-label-branches"),
    stations: row.getAttribute("data-label-stations")
  });
})();
