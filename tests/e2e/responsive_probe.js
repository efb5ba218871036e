/* Run in the page by test_responsive.py: what is wrong with it at the current window size
   (an empty list: nothing). `checkWraps`: also look for short links and badges that wrap. */
(checkWraps) => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) {
    const wide = [];
    for (const el of document.querySelectorAll("body *")) {
      const r = el.getBoundingClientRect();
      if (r.right > window.innerWidth + 0.5 && r.width > 0) {
        const parent = el.parentElement;
        const pr = parent ? parent.getBoundingClientRect() : null;
        if (!pr || pr.right <= window.innerWidth + 0.5) {
          wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
                    + (el.className && typeof el.className === "string" ? "." + el.className.trim().replace(/\s+/g, ".") : "")
                    + " (" + Math.round(r.right) + "px)");
        }
      }
      if (wide.length >= 5) break;
    }
    problems.push("page is " + doc.scrollWidth + "px wide in a " + window.innerWidth
                  + "px window: " + wide.join(", "));
  }
  // Short links, buttons and badges (the navigation, the menu, status badges) never wrap:
  // a word broken over lines is what the navigation did at 390 px, one character per line.
  const wrapped = [];
  for (const el of checkWraps ? document.querySelectorAll("a, button, summary, .badge") : []) {
    const text = el.textContent.trim();
    if (text.length < 2 || text.length > 8 || !el.checkVisibility()) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      const tops = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)));
      if (tops.size > 1) { wrapped.push(text); break; }
    }
  }
  if (wrapped.length) problems.push("wraps inside: " + wrapped.slice(0, 8).join("、"));
  for (const holder of document.querySelectorAll(".chart")) {
    const chart = window.echarts && window.echarts.getInstanceByDom(holder);
    const name = "chart #" + holder.id;
    if (!chart) { problems.push(name + " has no ECharts instance"); continue; }
    const box = holder.getBoundingClientRect();
    // The chart follows its box when the window changes size (ECharts' resize()).
    const svg = holder.querySelector("svg");
    const drawnWidth = svg ? svg.getBoundingClientRect().width : 0;
    if (Math.abs(drawnWidth - box.width) > 2) {
      problems.push(name + " is drawn " + Math.round(drawnWidth) + "px wide in a "
                    + Math.round(box.width) + "px box");
    }
    const texts = [];
    for (const t of holder.querySelectorAll("svg text")) {
      const r = t.getBoundingClientRect();
      const style = window.getComputedStyle(t);
      if (style.display === "none" || style.visibility === "hidden" || t.getAttribute("opacity") === "0") continue;
      if (r.width === 0 || r.left < box.left - 1 || r.right > box.right + 1
          || r.top < box.top - 1 || r.bottom > box.bottom + 1) continue;
      texts.push(t.textContent.trim());
    }
    const drawn = (label) => {
      label = String(label);
      return texts.some((t) => t === label
        || ((t.endsWith("…") || t.endsWith("...")) && t.replace(/(…|\.\.\.)$/, "").length > 0
            && label.startsWith(t.replace(/(…|\.\.\.)$/, ""))));
    };
    const option = chart.getOption();
    const missing = [];
    for (const axis of [].concat(option.xAxis || [], option.yAxis || [])) {
      if (axis.type === "category" && axis.show !== false) {
        // Every label, or every (k+1)-th from the first when the chart thins them explicitly
        // (axisLabel.interval k); ECharts' own "auto" thinning is what hid them on phones.
        const k = axis.axisLabel && typeof axis.axisLabel.interval === "number" ? axis.axisLabel.interval : 0;
        (axis.data || []).forEach((label, i) => {
          const value = typeof label === "object" && label !== null ? label.value : label;
          if (i % (k + 1) === 0 && !drawn(value)) missing.push("axis label " + value);
        });
      }
    }
    for (const legend of option.legend || []) {
      if (legend.show === false) continue;
      const names = legend.data && legend.data.length
        ? legend.data.map((d) => (typeof d === "object" ? d.name : d))
        : (option.series || []).map((s) => s.name);
      for (const n of names) if (n && !drawn(n)) missing.push("legend " + n);
    }
    if (missing.length) problems.push(name + " at " + Math.round(box.width) + "px lacks " + missing.join(", "));
  }
  return problems;
}
