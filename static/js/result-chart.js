/* The result page's dimension chart: each dimension's score against its maximum (ECharts). */
(function () {
  "use strict";
  var holder = document.getElementById("dimension-chart");
  var source = document.getElementById("dimension-chart-data");
  if (!holder || !source || !window.echarts || !window.SmeCharts) return;
  var data = JSON.parse(source.textContent);
  var legend = ["得分", "满分"];
  window.SmeCharts.responsive(holder, function (width) {
    return {
      tooltip: { renderMode: "richText", trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { data: legend },
      grid: window.SmeCharts.grid(legend, data.names, width),
      xAxis: { type: "category", data: data.names,
               axisLabel: window.SmeCharts.categoryAxisLabel(data.names, width) },
      yAxis: { type: "value", name: "分" },
      series: [
        { name: "得分", type: "bar", data: data.scores, barGap: "-100%", z: 2,
          itemStyle: { color: "#1d4ed8" }, label: { show: true, position: "top" } },
        { name: "满分", type: "bar", data: data.max, z: 1, itemStyle: { color: "#dbe4f0" } }
      ]
    };
  });
})();
