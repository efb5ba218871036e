"""A city official opens the dashboard in a real browser; it agrees with `manage.py compliance`."""

from __future__ import annotations

import io
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command

from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_dashboard_matches_the_compliance_command(live_server, page):
    call_command("seed_demo", stdout=io.StringIO())
    cache.clear()
    out = io.StringIO()
    call_command("compliance", "HHHT", stdout=out)
    expected = json.loads(out.getvalue())
    assert expected["sub_industries"], "the demo city should have sub-industries"

    login(page, live_server, "demo_city", "Demo-2026!")
    page.goto(f"{live_server.url}/cities/HHHT/dashboard/")
    table = page.locator("#compliance-table")
    table.wait_for()
    for s in expected["sub_industries"]:
        row = table.locator(f'tr[data-code="{s["code"]}"]')
        assert int(row.locator("td.denominator").inner_text()) == s["denominator"]
        assert int(row.locator("td.at-or-above").inner_text()) == s["at_or_above"]
        assert int(row.locator("td.shortfall").inner_text()) == s["shortfall"]
        assert (row.get_attribute("data-ratio") or None) == s["ratio"]
        shown = row.locator("td.ratio").inner_text().strip()
        if s["ratio"] is None:
            assert shown == "—"
        else:
            assert shown == f"{float(s['ratio']) * 100:.2f}%"
    status = page.locator("#city-status").inner_text()
    assert status == ("达标" if expected["city_compliant"] else "未达标")
    # The charts were drawn by ECharts (SVG renderer) from the page's own data.
    page.locator("#distribution-chart svg").wait_for()
    page.locator("#trend-chart svg").wait_for()
    # Count axes tick in whole enterprises; a legend names only the series that are drawn.
    options = page.evaluate(
        """() => ["distribution-chart", "trend-chart"].map((id) => {
             const o = echarts.getInstanceByDom(document.getElementById(id)).getOption();
             return {minInterval: o.yAxis[0].minInterval, legend: o.legend[0].data,
                     series: o.series.map((s) => ({name: s.name, data: s.data}))};
           })"""
    )
    empty = ({None, "-", 0}, {None, "-"})  # a bar of 0 is not drawn, a line point at 0 is
    for option, nothing in zip(options, empty, strict=True):
        assert option["minInterval"] == 1
        drawn = [s["name"] for s in option["series"] if set(s["data"] or []) - nothing]
        assert option["legend"] == drawn, option
