/* The lost-contact page's chart: counts per area, stacked by contact state. */
window.heliCharts.stackedBar("chart-lost", JSON.parse(document.getElementById("chart-data").textContent));
