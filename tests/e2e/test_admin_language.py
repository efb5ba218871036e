"""The admin in Chinese as a browser shows it (issue 12): what its scripts draw (the two-list
selector of groups and permissions, the date filters) as well as the HTML. The page-by-page
check of every admin page is tests/test_admin_language.py."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page

from accounts.models import Role
from tests.cities.factories import UserFactory
from tests.test_admin_language import DATA_TOKEN, DENY

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Sme-pilot-2026!"


def _english(page: Page) -> list[str]:
    """DENY words in the page's visible text, outside the change list's rows (data)."""
    text = page.evaluate(
        """() => {
          const body = document.body.cloneNode(true);
          body.querySelectorAll("#result_list tbody, .readonly, textarea").forEach(e => e.remove());
          return body.innerText;
        }"""
    )
    words = re.findall(r"[A-Za-z]+", DATA_TOKEN.sub(" ", text))
    return sorted({w for w in words if w.lower() in DENY})


def test_the_admin_pages_scripts_draw_are_in_chinese(live_server, page):
    admin = UserFactory(username="admin-e2e", role=Role.ADMIN, is_staff=True, is_superuser=True)
    Group.objects.create(name="审核组")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.locator("#site-name").wait_for()
    assert _english(page) == []

    # A user's page: groups and permissions in the two-list selector the admin's script builds.
    page.goto(f"{live_server.url}/admin/accounts/user/{admin.pk}/change/")
    selector = page.locator(".selector").first
    selector.wait_for()
    assert page.locator(".selector-chooseall").first.inner_text().startswith("选择全部")
    assert _english(page) == [], page.url

    for path in ("/admin/auth/group/add/", "/admin/axes/accessattempt/", "/admin/axes/accesslog/"):
        page.goto(f"{live_server.url}{path}")
        page.locator("#content").wait_for()
        assert _english(page) == [], path
