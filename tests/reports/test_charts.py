"""The PDF charts: whole-number ticks on count axes, a legend entry only for a drawn series."""

from __future__ import annotations

import re

from reports import charts


def _ticks(svg: str) -> list[str]:
    """The value axis labels (right-aligned at the axis, size 10)."""
    return re.findall(r'font-size="10" text-anchor="end"[^>]*>([^<]+)</text>', svg)


def test_count_axes_tick_in_whole_numbers():
    few = charts.stacked_bars(["A", "B"], [("一级", [1, 2]), ("二级", [0, 0])], title="t")
    assert _ticks(few) == ["0", "1", "2", "3", "4"]  # not 0, 0.5, 1, 1.5, 2
    trend = charts.line_with_projection(
        ["1月", "2月", "3月"], [1, 2, 3], [None, None, None], needed=None, title="t"
    )
    assert all(t.isdigit() for t in _ticks(trend)), _ticks(trend)
    cities = charts.grouped_bars(["东部", "西部"], [("城市数", [3, 1])], title="t", whole=True)
    assert all(t.isdigit() for t in _ticks(cities)), _ticks(cities)
    many = charts.stacked_bars(["A"], [("一级", [70])], title="t")
    assert _ticks(many) == ["0", "25", "50", "75", "100"]


def test_a_legend_entry_only_for_a_drawn_series():
    bars = charts.stacked_bars(["A", "B"], [("一级", [1, 2]), ("四级", [0, 0])], title="t")
    assert ">一级<" in bars and ">四级<" not in bars
    trend = charts.line_with_projection(
        ["1月", "2月"], [3, 4], [None, None], needed=None, title="t"
    )
    assert ">实际<" in trend and ">预测<" not in trend and ">需达到<" not in trend
    one_month = charts.line_with_projection(["1月"], [3], [None], needed=5, title="t")
    assert "<circle" in one_month and ">实际<" in one_month and ">需达到<" in one_month
    shares = charts.grouped_bars(["东部"], [("占比（%）", [None])], title="t", max_value=100)
    assert ">占比（%）<" not in shares
