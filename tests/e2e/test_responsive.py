"""Every page of every role fits a phone (390×844) and a desktop (1440×900), charts included.

The pages are the permission matrix's: each GET entry of a page route, visited as every role the
matrix expects a 200 from, over the matrix's own seeded world (plus enterprises with long names
so tables are as wide as real ones). A new page in the matrix is checked here without a word.

Each page is loaded at 390×844 (a phone opening a link), checked, then the window is widened to
1440×900 (charts must follow the window) and checked again. A page fails when

- it is wider than the window: `document.documentElement.scrollWidth > window.innerWidth`
  (tables must scroll inside their card, long codes break inside their cell), or
- a short link, button or badge wraps inside itself (the navigation at 390 px used to stand
  one character per line), or
- a chart (a `.chart` element holding an ECharts instance) is not drawn to its box's width (it
  must follow the window), or lacks a label: every category of a
  category axis and every legend entry must be drawn as text (whole, or cut with "…"), inside
  the chart's box.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page

from funds.models import LedgerEntry
from tests.cities.factories import DistrictFactory, EnterpriseFactory
from tests.test_permission_matrix import MATRIX, ROLES, _resolve, _seed

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}

# GET routes of the matrix that are not pages a person reads in the browser.
NOT_PAGES = {
    "healthz",
    "readyz",
    "oversight:roster_export",  # spreadsheet download
    "cities:account_sheet_download",  # spreadsheet download
    "cities:import_template",  # spreadsheet download (the import templates)
    "reports:report_download",  # PDF download
    "assessments:evidence_download",  # evidence file download (photo or PDF)
    "projects:project_export",  # spreadsheet download
    "projects:document_download",  # project document download
    "projects:document_upload",  # POST only
    "cities:import_progress",  # htmx fragment, swapped into the import page
    "reports:report_progress",  # htmx fragment, swapped into the report page
    "reports:dossier_archive_download",  # ZIP download
    "reports:dossier_archive_progress",  # htmx fragment, swapped into the archive page
    "cities:account_enterprise_search",  # htmx fragment, the account page's enterprise picker
}
# The API's JSON answers (DRF's browsable pages are not offered: JSON only). Its two
# documentation pages are third-party single-page apps and are checked like ours.
# The same for every role, so checked once (as the first role let in), once they have drawn.
API_PAGES = {"api-docs": ".swagger-ui .opblock", "api-redoc": "redoc h1, .api-content h1"}


def page_entries() -> list[Any]:
    return [
        e
        for e in MATRIX
        if e.method == "GET"
        and e.route not in NOT_PAGES
        and (":" in e.route or e.route in API_PAGES)
    ]


# Runs in the page: what is wrong with it at the current window size (empty: nothing).
PROBLEMS = (Path(__file__).parent / "responsive_probe.js").read_text(encoding="utf-8")


def _session_cookie(live_server: Any, user: Any) -> dict[str, Any]:
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": live_server.url}


def _settle(page: Page) -> None:
    """Charts draw after load and redraw on resize: wait for their SVG and two frames."""
    for holder in page.locator(".chart").all():
        holder.locator("svg").first.wait_for(state="attached")
    page.evaluate(
        "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


def _check(page: Page, where: str, failures: list[str], *, ours: bool) -> None:
    _settle(page)
    # The API documentation is third-party (Swagger UI, Redoc): its width is checked, its
    # typography is its own.
    failures.extend(f"{where}: {p}" for p in page.evaluate(PROBLEMS, ours))


def test_every_page_of_every_role_fits_a_phone_and_a_desktop(live_server, browser):
    world = _seed()
    # Real rosters hold long names; the factories' are short.
    long_district = DistrictFactory(city=world.city, name="呼和浩特经济技术开发区金山开发区")
    for n in range(3):
        EnterpriseFactory(
            sub_industry=world.ent.sub_industry,
            name=f"内蒙古自治区呼和浩特市赛罕区绿色智能特色食品精深加工集团股份有限公司{n}",
            district=long_district,
        )
    # Spending over several months (the dashboards' monthly line and gauges), the other uses
    # near their limit (the national table's highlighted row).
    for n, (day, category, amount) in enumerate(
        (
            ("2025-04-02", "platform", 150000),
            ("2025-06-30", "chain", 40000),
            ("2025-07-01", "transformation", 500000),
        )
    ):
        LedgerEntry.objects.create(
            city=world.city,
            entry_on=day,
            kind="expense",
            source="central",
            category=category,
            amount=Decimal(amount),
            reference=f"RESP-{n}",
        )
    cache.clear()
    entries = page_entries()
    assert len(entries) > 20, "the matrix's pages were not found"
    failures: list[str] = []
    visited = 0
    docs_seen: set[str] = set()
    for role in ROLES:
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE)
        context.set_default_timeout(15_000)
        if role != "anon":
            context.add_cookies([_session_cookie(live_server, getattr(world.users, role))])
        page = context.new_page()
        for entry in entries:
            if entry.expected[role] != "200":
                continue
            if entry.route in API_PAGES:
                if entry.route in docs_seen:
                    continue
                docs_seen.add(entry.route)
            kwargs = {k: _resolve(v, world) for k, v in entry.kwargs.items()}
            url = live_server.url + reverse(entry.route, kwargs=kwargs)
            page.set_viewport_size(PHONE)
            response = page.goto(url, wait_until="load")
            assert response is not None and response.status == 200, f"{entry.id} as {role}"
            if entry.route in API_PAGES:
                page.locator(API_PAGES[entry.route]).first.wait_for()
            where = f"{entry.id} as {role}"
            ours = entry.route not in API_PAGES
            _check(page, f"{where} at 390", failures, ours=ours)
            page.set_viewport_size(DESKTOP)
            _check(page, f"{where} at 1440", failures, ours=ours)
            visited += 1
        context.close()
    assert visited > 50, visited
    assert failures == [], "\n" + "\n".join(failures)


def test_the_navigation_folds_into_a_menu_on_a_phone(live_server, browser):
    world = _seed()
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE)
    context.add_cookies([_session_cookie(live_server, world.users.off)])
    page = context.new_page()
    page.goto(f"{live_server.url}/reports/")
    roster = page.locator(".mainnav a", has_text="企业名录")
    menu = page.locator("summary.menu-button")
    # On a phone: one 菜单 button in the bar, the links behind it until it is tapped.
    assert menu.is_visible() and not roster.is_visible()
    assert page.locator(".topbar").bounding_box()["height"] < 60  # type: ignore[index]
    menu.click()
    roster.wait_for(state="visible")
    roster.click()
    page.wait_for_url(f"**/cities/{world.city.code}/enterprises/")
    # Wider than 640 px: the links stand in the bar, no button.
    page.set_viewport_size(DESKTOP)
    assert roster.is_visible() and not menu.is_visible()
    context.close()
