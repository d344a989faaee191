/* The region page's map of grids: the boundaries from the page's JSON, and the address of a
   region's page (with 0 for the id) from the chart's data-detail-url. */
(function () {
  "use strict";
  var el = document.getElementById("chart-map");
  var source = document.getElementById("map-data");
  if (!el || !source) { return; }
  window.heliCharts.regionMap("chart-map", JSON.parse(source.textContent), el.getAttribute("data-detail-url"));
})();
