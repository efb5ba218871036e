/* The result page's dimension chart: each dimension's score against its maximum (ECharts). */
(function () {
  "use strict";
  var holder = document.getElementById("dimension-chart");
  var source = document.getElementById("dimension-chart-data");
  if (!holder || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var chart = window.echarts.init(holder, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    tooltip: { renderMode: "richText", trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { data: ["得分", "满分"] },
    grid: { left: 48, right: 24, top: 40, bottom: 32 },
    xAxis: { type: "category", data: data.names },
    yAxis: { type: "value", name: "分" },
    series: [
      { name: "得分", type: "bar", data: data.scores, barGap: "-100%", z: 2,
        itemStyle: { color: "#1d4ed8" }, label: { show: true, position: "top" } },
      { name: "满分", type: "bar", data: data.max, z: 1, itemStyle: { color: "#dbe4f0" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
