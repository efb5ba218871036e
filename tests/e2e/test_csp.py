"""Every role's main pages run under the strict Content-Security-Policy without one violation.

The browser reports each blocked script, style or image as a `securitypolicyviolation` event
(collected from the first moment of each page by an init script) and on the console; either
fails the test. Pages are exercised, not only loaded: the questionnaire autosaves, charts draw
and show their tooltips, htmx swaps, the API docs render.
"""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import Page

from accounts.models import User
from tests.assessments.factories import AssessmentFactory
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Demo-2026!"
COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile
                    + ":" + e.lineNumber + " " + (e.sample || ""));
});
"""


class Violations:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(COLLECT)
        page.on("console", self._console)

    def _console(self, message) -> None:  # type: ignore[no-untyped-def]
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def check(self, where: str, *, expected_blocked: str = "") -> None:
        events = self.page.evaluate("window.__csp || []")
        if expected_blocked:
            # Blocked on purpose: a third-party request the page makes by itself.
            events = [e for e in events if expected_blocked not in e]
            self.console = [m for m in self.console if expected_blocked not in m]
        assert (events, self.console) == ([], []), f"CSP violations on {where}"


def hover_chart(page: Page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(box["x"] + box["width"] / 3, box["y"] + box["height"] / 2)


def test_main_pages_of_every_role_have_no_csp_violation(live_server, page):
    call_command("seed_demo", stdout=io.StringIO())
    cache.clear()
    watch = Violations(page)
    url = live_server.url

    # Enterprise: questionnaire with autosave (htmx), then a result page with its chart.
    login(page, live_server, "demo_enterprise", PASSWORD)
    watch.check("login")
    enterprise = User.objects.get(username="demo_enterprise").enterprise
    draft = AssessmentFactory(enterprise=enterprise)
    page.goto(f"{url}/assessments/{draft.pk}/")
    page.locator("#q-Q1").wait_for()
    option = page.locator('#q-Q1 input[type="checkbox"], #q-Q1 input[type="radio"]').first
    with page.expect_response(lambda r: "/autosave/" in r.url) as saved:
        option.check()
    assert saved.value.status == 200
    page.locator("#save-status").filter(has_text="已保存").wait_for()
    watch.check("questionnaire")
    done = AssessmentFactory(enterprise=enterprise, submitted=True)
    page.goto(f"{url}/assessments/{done.pk}/result/")
    page.locator("#dimension-chart svg").wait_for()
    hover_chart(page, "#dimension-chart")
    watch.check("result")
    page.goto(f"{url}/reports/")
    watch.check("reports")

    # City official: dashboard with charts, roster.
    page.context.clear_cookies()
    login(page, live_server, "demo_city", PASSWORD)
    page.goto(f"{url}/cities/HHHT/dashboard/")
    page.locator("#distribution-chart svg").wait_for()
    page.locator("#trend-chart svg").wait_for()
    hover_chart(page, "#distribution-chart")
    hover_chart(page, "#trend-chart")
    watch.check("city dashboard")
    page.goto(f"{url}/cities/HHHT/enterprises/")
    page.locator("tr[data-uscc]").first.wait_for()
    watch.check("roster")

    # Ministry: national dashboard, API docs (Swagger UI and Redoc).
    page.context.clear_cookies()
    login(page, live_server, "demo_ministry", PASSWORD)
    page.goto(f"{url}/dashboard/")
    page.locator("#dashboard-chart-data").wait_for(state="attached")
    page.locator("svg").first.wait_for()
    watch.check("national dashboard")
    page.goto(f"{url}/api/v1/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for()
    watch.check("swagger")
    page.goto(f"{url}/api/v1/redoc/")
    page.locator("redoc h1, .api-content h1").first.wait_for()
    # Redoc's footer links its maker's logo from their CDN: the policy keeps the servers from
    # calling out (docs/deploy.md), so that one image is blocked and nothing else may be.
    watch.check("redoc", expected_blocked="https://cdn.redoc.ly/")
