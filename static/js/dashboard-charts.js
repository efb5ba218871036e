/* Dashboard charts (ECharts): level distribution, monthly trend with projection, the project
   funnel, monthly funds spending, regions.
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

  function missing(v) { return v === null || v === undefined || v === "-"; }
  function enterprises(v) { return missing(v) ? "—" : v + " 家"; }
  // A forecast in whole enterprises: 12.6 → "约 13 家".
  function aboutEnterprises(v) { return missing(v) ? "—" : "约 " + Math.round(v) + " 家"; }
  function percent(v) { return missing(v) ? "—" : Number(v).toFixed(1) + "%"; }

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
          { name: "已达标企业数", type: "line", data: data.trend.actual, itemStyle: { color: "#1d4ed8" },
            tooltip: { valueFormatter: enterprises } },
          // The data keeps the exact projection; people read it in whole enterprises.
          { name: "预测", type: "line", data: data.trend.projected, connectNulls: false,
            lineStyle: { type: "dashed" }, itemStyle: { color: "#f59e0b" },
            tooltip: { valueFormatter: aboutEnterprises } },
          { name: "需达到", type: "line", data: data.trend.needed, symbol: "none",
            lineStyle: { type: "dotted" }, itemStyle: { color: "#b91c1c" },
            tooltip: { valueFormatter: enterprises } }
        ]
      };
    });
  }

  if (data.funnel) {
    // The project funnel: projects that reached each stage, the count written on every bar.
    var FUNNEL = "已到达项目数";
    make("funnel-chart", function (width) {
      return {
        tooltip: { renderMode: "richText", trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0, data: [FUNNEL] },
        grid: fit.grid([FUNNEL], data.funnel.labels, width),
        xAxis: { type: "category", data: data.funnel.labels,
                 axisLabel: fit.categoryAxisLabel(data.funnel.labels, width) },
        yAxis: { type: "value", name: "项", minInterval: 1 },
        series: [
          { name: FUNNEL, type: "bar", data: data.funnel.reached, itemStyle: { color: "#1d4ed8" },
            tooltip: { valueFormatter: function (v) { return missing(v) ? "—" : v + " 项"; } },
            label: { show: true, position: "top" } }
        ]
      };
    });
  }

  if (data.funds) {
    // Monthly spending in 万元 (the numbers come as exact text, "1234.57"; the table has them).
    var funds = data.funds;
    var FUNDS = ["中央·数字化改造", "中央·其他用途", "地方"];
    var wan = function (v) { return missing(v) ? "—" : Number(v).toFixed(2) + " 万元"; };
    make("funds-chart", function (width) {
      return {
        tooltip: { renderMode: "richText", trigger: "axis" },
        legend: { top: 0, data: FUNDS },
        grid: fit.grid(FUNDS, funds.labels, width),
        xAxis: { type: "category", data: funds.labels,
                 axisLabel: fit.categoryAxisLabel(funds.labels, width) },
        yAxis: { type: "value", name: "万元" },
        series: [
          { name: FUNDS[0], type: "line", data: funds.central_transformation,
            itemStyle: { color: "#1d4ed8" }, tooltip: { valueFormatter: wan } },
          { name: FUNDS[1], type: "line", data: funds.central_other,
            itemStyle: { color: "#f59e0b" }, tooltip: { valueFormatter: wan } },
          { name: FUNDS[2], type: "line", data: funds.local,
            itemStyle: { color: "#15803d" }, tooltip: { valueFormatter: wan } }
        ]
      };
    });
  }

  if (data.by_region) {
    // Shares are percentages (86.5%); a region without a pilot city draws no bar (a 0 bar would
    // read as failure) and says "暂无试点城市" where its bars would stand.
    var region = data.by_region;
    var SHARE = "二级及以上占比";
    var NONE = "暂无试点城市";
    var empty = region.cities.map(function (n) { return n === 0; });
    var orNothing = function (values) {
      return values.map(function (v, i) { return empty[i] ? "-" : v; });
    };
    var regionLegend = ["城市数", "达标城市数", SHARE];
    make("region-chart", function (width) {
      var narrow = (width - 96) / Math.max(region.regions.length, 1) < 84;
      return {
        tooltip: { renderMode: "richText", trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0, data: regionLegend },
        grid: fit.grid(regionLegend, region.regions, width, 8),
        xAxis: { type: "category", data: region.regions,
                 axisLabel: fit.categoryAxisLabel(region.regions, width) },
        yAxis: [
          { type: "value", name: "城市", minInterval: 1 },
          { type: "value", name: "占比", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }
        ],
        series: [
          { name: "城市数", type: "bar", data: orNothing(region.cities),
            itemStyle: { color: "#dbe4f0" },
            tooltip: { valueFormatter: function (v) { return missing(v) ? NONE : v + " 个"; } } },
          { name: "达标城市数", type: "bar", data: orNothing(region.compliant),
            itemStyle: { color: "#15803d" },
            tooltip: { valueFormatter: function (v) { return missing(v) ? NONE : v + " 个"; } } },
          { name: SHARE, type: "line", yAxisIndex: 1, data: region.share,
            itemStyle: { color: "#1d4ed8" }, tooltip: { valueFormatter: percent },
            label: { show: true, position: "top",
                     formatter: function (p) { return percent(p.value); } } },
          // Not a figure: the words "暂无试点城市" standing where an empty region's bars would.
          { name: NONE, type: "scatter", symbolSize: 0, silent: true, tooltip: { show: false },
            data: region.regions.map(function (_, i) { return empty[i] ? 0 : "-"; }),
            label: { show: true, position: "top", color: "#616e7c",
                     formatter: narrow ? "暂无\n试点城市" : NONE } }
        ]
      };
    });
  }
})();
