"""Issue 12, in a real browser: the dashboards' report button sits in the page header, status
badges stay on one line at 390 px, and the region chart speaks in percentages."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.models import Role
from cities.models import Province, Region
from tests.assessments.factories import confirmed_level
from tests.cities.factories import CityFactory, EnterpriseFactory, SubIndustryFactory, UserFactory
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Sme-pilot-2026!"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}

# Each element's text on one line: every text node's client rects share one top.
WRAPPED = """(selector) => Array.from(document.querySelectorAll(selector)).filter((el) => {
  if (!el.checkVisibility()) return false;
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    const tops = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)));
    if (tops.size > 1) return true;
  }
  return false;
}).map((el) => el.textContent.trim())"""


def _seed(city, sub_industry):
    """East (HHHT): 2 of 3 counted at level 2 (66.67 %); West: 1 of 1 (100 %); no city in
    the central and north-east regions."""
    for i in range(3):
        confirmed_level(EnterpriseFactory(sub_industry=sub_industry), 2 if i < 2 else 1)
    UserFactory(username="hhht_official", role=Role.CITY_OFFICIAL, city=city)
    UserFactory(username="ministry_e2e", role=Role.MINISTRY)
    west = Province.objects.filter(region=Region.WEST).order_by("code").first()
    other = CityFactory(code="XA", name="西安市", province=west)
    confirmed_level(EnterpriseFactory(sub_industry=SubIndustryFactory(city=other)), 2)
    cache.clear()


def _header_holds_the_button(page, label):  # type: ignore[no-untyped-def]
    head = page.locator("#page-head")
    button = head.locator("#report-request-form button")
    assert button.inner_text() == label
    head_box, button_box = head.bounding_box(), button.bounding_box()
    assert head_box is not None and button_box is not None
    assert head_box["y"] <= button_box["y"]
    assert button_box["y"] + button_box["height"] <= head_box["y"] + head_box["height"] + 0.5
    # The header comes first: nothing of the page's forms stands above the button.
    first_form = page.locator("form.card, form.asof").first.bounding_box()
    assert first_form is not None and button_box["y"] < first_form["y"]


def test_city_dashboard_header_button_and_badges_at_390(live_server, page, city, sub_industry):
    _seed(city, sub_industry)
    page.set_viewport_size(PHONE)
    login(page, live_server, "hhht_official", PASSWORD)
    page.goto(f"{live_server.url}/cities/HHHT/dashboard/")
    page.locator("#compliance-table").wait_for()
    _header_holds_the_button(page, "生成城市试点绩效报告")
    statuses = page.locator("#compliance-table td.status")
    assert statuses.count() >= 1 and "未达标" in statuses.all_inner_texts()
    assert page.evaluate(WRAPPED, "td.status, .badge, #city-status") == []
    nowrap = page.evaluate(
        """() => Array.from(document.querySelectorAll("td.status, .badge"),
                 (el) => getComputedStyle(el).whiteSpace)"""
    )
    assert nowrap and set(nowrap) == {"nowrap"}


def test_national_dashboard_header_button_and_region_percentages(
    live_server, page, city, sub_industry
):
    _seed(city, sub_industry)
    login(page, live_server, "ministry_e2e", PASSWORD)
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        page.goto(f"{live_server.url}/dashboard/")
        page.locator("#region-chart svg").wait_for()
        page.evaluate(
            "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
        )
        _header_holds_the_button(page, "生成全国试点汇总报告")
        assert page.evaluate(WRAPPED, "td.status .badge") == []
        chart = page.evaluate(
            """() => {
              const holder = document.getElementById("region-chart");
              const o = echarts.getInstanceByDom(holder).getOption();
              const share = o.series.find((s) => s.name === "二级及以上占比");
              return {
                regions: o.xAxis[0].data,
                axis: o.yAxis[1].axisLabel.formatter,
                tooltip: share.tooltip.valueFormatter(86.54),
                cities: o.series.find((s) => s.name === "城市数").data,
                svg: Array.from(holder.querySelectorAll("svg text"), (t) => t.textContent),
              };
            }"""
        )
        assert chart["regions"] == ["东部", "中部", "西部", "东北"]
        assert chart["axis"] == "{value}%" and chart["tooltip"] == "86.5%"
        # Shares drawn as labels in percent; the empty regions draw no bar and say so.
        assert "66.7%" in chart["svg"] and "100.0%" in chart["svg"], chart["svg"]
        assert "100%" in chart["svg"]  # the share axis
        assert chart["cities"] == [1, "-", 1, "-"]
        text = "".join(chart["svg"])
        assert text.count("暂无试点城市") + text.count("暂无\n试点城市") == 2 or (
            text.count("暂无") == 2 and text.count("试点城市") == 2
        ), chart["svg"]
