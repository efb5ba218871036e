/* Shared by the page charts (ECharts): keep every axis label and legend entry readable from a
   390 px phone to a wide screen, and redraw when the window changes size.
   A category axis shows all its labels side by side when they fit; turned 45° (cut with "…"
   past 96 px) when they do not; and only every n-th label when even turned ones would touch
   (a long run of months). The interval is always explicit, never ECharts' silent "auto". */
(function () {
  "use strict";
  var FONT = 12;

  function textWidth(text) {
    var w = 0;
    String(text).split("").forEach(function (ch) {
      w += ch.charCodeAt(0) > 0x2e7f ? FONT : FONT * 0.6;
    });
    return w;
  }

  function categoryAxisLabel(labels, width) {
    var plot = Math.max(width - 96, 120);
    var slot = plot / Math.max(labels.length, 1);
    var longest = labels.reduce(function (m, l) { return Math.max(m, textWidth(l)); }, 0);
    if (longest + 8 <= slot) return { interval: 0, rotate: 0, hideOverlap: false };
    var step = 18; // a turned label's footprint along the axis
    var interval = slot >= step ? 0 : Math.ceil(step / slot) - 1;
    return { interval: interval, rotate: 45, width: 96, overflow: "truncate", ellipsis: "…",
             hideOverlap: false };
  }

  // Rows the legend wraps into at this width (icon 25 + gap 5 + text + item gap 10).
  function legendRows(names, width) {
    var rows = 1, used = 0, room = Math.max(width - 20, 100);
    names.forEach(function (n) {
      var w = 40 + textWidth(n);
      if (used > 0 && used + w > room) { rows += 1; used = 0; }
      used += w;
    });
    return rows;
  }

  // The plot's margins: room above for the legend's rows and the value axis' name; room on the
  // left for the first category label when turned (containLabel does not count its overhang).
  function grid(legend, labels, width, right) {
    var turned = categoryAxisLabel(labels, width).rotate;
    var longest = labels.reduce(function (m, l) { return Math.max(m, textWidth(l)); }, 0);
    return { left: turned ? Math.ceil(Math.min(longest, 96) * 0.75) + 8 : 8, right: right || 16,
             top: 24 * legendRows(legend, width) + 24, bottom: 8, containLabel: true };
  }

  // A chart in `holder` whose option is `build(width)`: drawn now, rebuilt and resized with
  // the window. Returns the ECharts instance.
  function responsive(holder, build) {
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    var width = -1;
    function draw() {
      var w = holder.clientWidth;
      if (w === width) return;
      width = w;
      chart.setOption(Object.assign({ animation: false }, build(w)));
    }
    draw();
    window.addEventListener("resize", function () {
      chart.resize();
      draw();
    });
    return chart;
  }

  window.SmeCharts = {
    categoryAxisLabel: categoryAxisLabel,
    legendRows: legendRows,
    grid: grid,
    responsive: responsive
  };
})();
