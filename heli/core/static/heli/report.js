/* The floating-member report's chart: outflow and inflow per town and street. */
window.heliCharts.stackedBar("chart-report", JSON.parse(document.getElementById("chart-data").textContent));
