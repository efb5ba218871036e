"""The demo city's dashboard lists the enterprises closest to the line, with their distance."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from cities.models import PilotCity
from oversight.selectors.dashboard.city import city_dashboard
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_demo_dashboard_shows_enterprises_closest_to_the_line(live_server, page):
    call_command("seed_demo", stdout=io.StringIO())
    cache.clear()
    hhht = PilotCity.objects.select_related("batch").get(code="HHHT")
    closest = city_dashboard(city=hhht, as_of=timezone.localdate()).closest

    login(page, live_server, "demo_city", "Demo-2026!")
    page.goto(f"{live_server.url}/cities/HHHT/dashboard/")
    rows = page.locator("#closest tbody tr[data-uscc]")
    rows.first.wait_for()
    shown = rows.evaluate_all("(trs) => trs.map((tr) => tr.dataset.uscc)")
    assert len(shown) == 20  # a full first page
    assert shown == [r.uscc for r in closest[:20]]
    for i in range(len(shown)):
        cells = rows.nth(i).locator("td")
        assert cells.nth(4).inner_text().startswith(("自评", "现场评定"))  # from an assessment
        assert cells.nth(8).inner_text().strip().isdigit()  # fewest changes, from the answers
