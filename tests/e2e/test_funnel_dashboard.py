"""Issue 13, in a real browser: the city dashboard's 改造项目进展 section at 390 px — the chart
draws every stage's label and count, the tables fit the phone, nothing is blocked by the CSP."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.models import Role
from projects import rules
from projects.selectors.funnel import city_funnel
from tests.cities.factories import UserFactory
from tests.e2e.conftest import login
from tests.projects import funnel_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Sme-pilot-2026!"
PHONE = {"width": 390, "height": 844}


def test_funnel_section_renders_with_labels_at_390(live_server, page):
    city = funnel_world.build()
    UserFactory(username="fnl_e2e", role=Role.CITY_OFFICIAL, city=city)
    cache.clear()
    expected = city_funnel(city=city, as_of=funnel_world.AS_OF)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.set_viewport_size(PHONE)
    login(page, live_server, "fnl_e2e", PASSWORD)
    page.goto(
        f"{live_server.url}/cities/{funnel_world.CODE}/dashboard/"
        f"?as_of={funnel_world.AS_OF.isoformat()}"
    )
    section = page.locator("#project-funnel")
    section.scroll_into_view_if_needed()
    page.locator("#funnel-chart svg").wait_for()
    texts = page.locator("#funnel-chart svg text").all_text_contents()
    for stage in rules.STAGES:
        assert rules.STAGE_LABELS[stage] in texts, (stage, texts)
    # Every bar carries its count (the zeros of stages nobody reached included).
    for stage in rules.STAGES:
        assert str(expected["reached"][stage.value]) in texts
    # The stage table reads as cards: each cell names its column.
    first = page.locator('#funnel-stages tr[data-stage="applied"] td.reached')
    assert first.inner_text().strip() == str(expected["reached"]["applied"])
    # The page itself never scrolls sideways; wide tables scroll inside their box.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = section.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    rows = page.locator("#overdue-acceptance tbody tr")
    assert rows.count() == expected["overdue"]["acceptance"]
    assert not [c for c in console if "Content Security Policy" in c or "Refused" in c]
