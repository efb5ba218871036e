"""Tiny SVG chart builders for the PDF reports: pure Python, no Django, no JavaScript.

Every chart has a fixed viewBox, no external references, and its labels (Chinese included) as
`<text>` escaped with `xml.sax.saxutils.escape`, so WeasyPrint draws them with the report's font.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

WIDTH = 720
HEIGHT = 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 36, 64
PALETTE = ("#9e9e9e", "#d9534f", "#f0ad4e", "#5bc0de", "#5cb85c", "#2e6da4", "#7b4fa0")
FONT = 'font-family="Noto Sans CJK SC, sans-serif"'


def _svg(body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label={quoteattr(title)}>'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _text(
    x: float, y: float, label: str, *, size: int = 11, anchor: str = "middle", **kw: str
) -> str:
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(v)}" for k, v in kw.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" {FONT}{extra}>'
        f"{escape(label)}</text>"
    )


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 < value:
        step *= 10
    for m in (1, 2, 5, 10):
        if step * m >= value:
            return step * m
    return step * 10


def _whole_top(value: float) -> float:
    """The top of a count axis: four equal steps of a whole number (0, 1, 2, 3, 4 for at most
    four; 0, 25, 50, 75, 100 for 70), so no tick is a fraction of an enterprise or a city."""
    step = max(1, -(-int(_nice_max(value)) // 4))  # ⌈nice / 4⌉
    while step * 4 < value:
        step += 1
    return float(step * 4)


def _axes(top: float) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    out = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        'stroke="#333"/>',
    ]
    for i in range(5):
        value = top * i / 4
        y = HEIGHT - BOTTOM - plot_h * i / 4
        label = f"{value:g}" if value == int(value) else f"{value:.1f}"
        out.append(_text(LEFT - 6, y + 4, label, size=10, anchor="end"))
        if i:
            out.append(
                f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                'stroke="#ddd" stroke-width="0.5"/>'
            )
    return out


def _legend(
    names: Sequence[str], colors: Sequence[str], *, dashed: Sequence[bool] = ()
) -> list[str]:
    out: list[str] = []
    x = LEFT
    for i, (name, color) in enumerate(zip(names, colors, strict=True)):
        if dashed and dashed[i]:
            out.append(
                f'<line x1="{x}" y1="16" x2="{x + 16}" y2="16" stroke="{color}" '
                'stroke-width="2" stroke-dasharray="4 3"/>'
            )
        else:
            out.append(f'<rect x="{x}" y="10" width="12" height="12" fill="{color}"/>')
        out.append(_text(x + 18, 20, name, size=11, anchor="start"))
        x += 30 + 12 * len(name)
    return out


def _x_label(x: float, label: str, count: int) -> str:
    if count > 8:
        y = HEIGHT - BOTTOM + 12
        return _text(x, y, label, size=9, anchor="end", transform=f"rotate(-35 {x:.1f} {y:.1f})")
    return _text(x, HEIGHT - BOTTOM + 16, label, size=10)


def stacked_bars(
    categories: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *, title: str
) -> str:
    """One bar per category, stacked by series (e.g. enterprises per level)."""
    totals = [sum(s[1][i] for s in series) for i in range(len(categories))]
    top = _whole_top(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(categories))
    bar = slot * 0.6
    body = _axes(top)
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(series))]
    for i, cat in enumerate(categories):
        x = LEFT + slot * i + (slot - bar) / 2
        y = float(HEIGHT - BOTTOM)
        for (_, data), color in zip(series, colors, strict=True):
            h = plot_h * data[i] / top
            if h > 0:
                y -= h
                body.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                    f'fill="{color}"/>'
                )
        body.append(_x_label(x + bar / 2, cat, len(categories)))
    drawn = [i for i, (_, data) in enumerate(series) if any(v > 0 for v in data)]
    body += _legend([series[i][0] for i in drawn], [colors[i] for i in drawn])
    return _svg(body, title)


def grouped_bars(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    max_value: float | None = None,
    whole: bool = False,
) -> str:
    """Side-by-side bars per category (e.g. score vs maximum, compliant vs all cities); `whole`:
    the values are counts, so the axis ticks are whole numbers."""
    values = [v for _, data in series for v in data if v is not None]
    highest = max(values, default=0)
    top = max_value if max_value else (_whole_top(highest) if whole else _nice_max(highest))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(categories))
    bar = slot * 0.7 / max(1, len(series))
    body = _axes(top)
    colors = [PALETTE[(i + 4) % len(PALETTE)] for i in range(len(series))]
    for i, cat in enumerate(categories):
        x0 = LEFT + slot * i + slot * 0.15
        for k, ((_, data), color) in enumerate(zip(series, colors, strict=True)):
            v = data[i]
            if v is None:
                continue
            h = plot_h * min(v, top) / top
            x = x0 + bar * k
            body.append(
                f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{color}"/>'
            )
            body.append(_text(x + bar / 2, HEIGHT - BOTTOM - h - 3, f"{v:g}", size=9))
        body.append(_x_label(LEFT + slot * i + slot / 2, cat, len(categories)))
    drawn = [i for i, (_, data) in enumerate(series) if any(v for v in data)]
    body += _legend([series[i][0] for i in drawn], [colors[i] for i in drawn])
    return _svg(body, title)


def line_with_projection(
    labels: Sequence[str],
    actual: Sequence[float | None],
    projected: Sequence[float | None],
    *,
    needed: float | None,
    title: str,
) -> str:
    """A solid line of actual values, a dashed projection, and a dotted horizontal target."""
    values = [v for v in [*actual, *projected] if v is not None]
    if needed is not None:
        values.append(needed)
    top = _whole_top(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(1, len(labels) - 1)

    def point(i: int, v: float) -> str:
        return f"{LEFT + plot_w * i / n:.1f},{HEIGHT - BOTTOM - plot_h * v / top:.1f}"

    body = _axes(top)
    names: list[str] = []
    colors: list[str] = []
    dashed: list[bool] = []
    for name, data, extra, color in (
        ("实际", actual, "", PALETTE[5]),
        ("预测", projected, ' stroke-dasharray="6 4"', PALETTE[2]),
    ):
        pts = [point(i, v) for i, v in enumerate(data) if v is not None]
        if len(pts) > 1:
            body.append(
                f'<polyline points="{" ".join(pts)}" fill="none" stroke="{color}" '
                f'stroke-width="2"{extra}/>'
            )
        elif pts:  # a single month: a dot, not an invisible one-point line
            cx, cy = pts[0].split(",")
            body.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{color}"/>')
        if pts:
            names.append(name)
            colors.append(color)
            dashed.append(bool(extra))
    if needed is not None:
        y = HEIGHT - BOTTOM - plot_h * needed / top
        body.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="{PALETTE[1]}" stroke-dasharray="2 3"/>'
        )
        names.append("需达到")
        colors.append(PALETTE[1])
        dashed.append(True)
    step = max(1, len(labels) // 12)
    for i, label in enumerate(labels):
        if i % step == 0 or i == len(labels) - 1:
            body.append(_x_label(LEFT + plot_w * i / n, label, 9))
    body += _legend(names, colors, dashed=dashed)  # only what is drawn
    return _svg(body, title)
