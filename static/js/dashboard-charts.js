/* Dashboard charts (ECharts): level distribution, monthly trend with projection, regions.
   Data comes from the page's json_script "dashboard-chart-data"; every figure is also in a table.
   Labels and legends stay readable at any width (js/charts.js). */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-chart-data");
  if (!source || !window.echarts || !window.SmeCharts) return;
  var fit = window.SmeCharts;
  var data = JSON.parse(source.textContent);
  var COLORS = ["#9aa5b1", "#fca5a5", "#fcd34d", "#86efac", "#22c55e", "#15803d"];

  function drawn(values) {
    return (values || []).some(function (v) { return v !== null && v !== undefined; });
  }

  function make(id, build) {
    var holder = document.getElementById(id);
    if (holder) fit.responsive(holder, build);
  }

  if (data.distribution) {
    var levels = data.distribution.series.filter(function (s) {
      return s.data.some(function (v) { return v > 0; });
    }).map(function (s) { return s.name; });
    make("distribution-chart", function (width) {
      return {
        tooltip: { renderMode: "richText", trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0, data: levels },
        grid: fit.grid(levels, data.distribution.categories, width),
        xAxis: { type: "category", data: data.distribution.categories,
                 axisLabel: fit.categoryAxisLabel(data.distribution.categories, width) },
        yAxis: { type: "value", name: "家", minInterval: 1 },
        series: data.distribution.series.map(function (s, i) {
          return { name: s.name, type: "bar", stack: "levels", data: s.data,
                   itemStyle: { color: COLORS[i % COLORS.length] } };
        })
      };
    });
  }

  if (data.trend) {
    // A legend entry only for a series that is drawn (no projection without enough months).
    var trendLegend = ["已达标企业数", "预测", "需达到"].filter(function (name, i) {
      return drawn([data.trend.actual, data.trend.projected, data.trend.needed][i]);
    });
    make("trend-chart", function (width) {
      return {
        tooltip: { renderMode: "richText", trigger: "axis" },
        legend: { top: 0, data: trendLegend },
        grid: fit.grid(trendLegend, data.trend.labels, width),
        xAxis: { type: "category", data: data.trend.labels,
                 axisLabel: fit.categoryAxisLabel(data.trend.labels, width) },
        yAxis: { type: "value", name: "家", minInterval: 1 },
        series: [
          { name: "已达标企业数", type: "line", data: data.trend.actual, itemStyle: { color: "#1d4ed8" } },
          { name: "预测", type: "line", data: data.trend.projected, connectNulls: false,
            lineStyle: { type: "dashed" }, itemStyle: { color: "#f59e0b" } },
          { name: "需达到", type: "line", data: data.trend.needed, symbol: "none",
            lineStyle: { type: "dotted" }, itemStyle: { color: "#b91c1c" } }
        ]
      };
    });
  }

  if (data.by_region) {
    var regionLegend = ["城市数", "达标城市数", "二级及以上占比（%）"];
    make("region-chart", function (width) {
      return {
        tooltip: { renderMode: "richText", trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0, data: regionLegend },
        grid: fit.grid(regionLegend, data.by_region.regions, width, 8),
        xAxis: { type: "category", data: data.by_region.regions,
                 axisLabel: fit.categoryAxisLabel(data.by_region.regions, width) },
        yAxis: [
          { type: "value", name: "城市", minInterval: 1 },
          { type: "value", name: "%", min: 0, max: 100 }
        ],
        series: [
          { name: "城市数", type: "bar", data: data.by_region.cities, itemStyle: { color: "#dbe4f0" } },
          { name: "达标城市数", type: "bar", data: data.by_region.compliant, itemStyle: { color: "#15803d" } },
          { name: "二级及以上占比（%）", type: "line", yAxisIndex: 1, data: data.by_region.share,
            itemStyle: { color: "#1d4ed8" } }
        ]
      };
    });
  }
})();
