"""The provider library in a real browser (issue 13): a city official warns a provider with a
reason and finds it in the status history; an enterprise of the city sees only active providers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from providers.models import LibraryEntry
from tests.e2e.conftest import login
from tests.e2e.test_assessment_flow import PASSWORD
from tests.providers.factories import LibraryEntryFactory, ProductFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_official_warns_a_provider_and_an_enterprise_sees_only_active_ones(
    live_server, browser, city, city_official, enterprise_user
):
    entry = LibraryEntryFactory(city=city)
    ProductFactory(provider=entry.provider, name="云排产", scenes=["S05"])
    other = LibraryEntryFactory(city=city)

    official = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = official.new_page()
    login(page, live_server, city_official.username, PASSWORD)
    page.locator("#nav-providers").first.click()
    row = page.locator(f'#library-table tr[data-uscc="{entry.provider.uscc}"]')
    expect(row).to_contain_text("在库")
    row.get_by_role("link", name=entry.provider.name).click()
    page.locator("#change-status").click()
    page.select_option("#id_status", "warned")
    page.fill("#id_reason", "交付延期两次，限期整改")
    page.get_by_role("button", name="确认变更").click()
    expect(page.locator("#entry-status")).to_have_text("警示")
    history = page.locator("#status-history tbody tr").first
    expect(history).to_contain_text("在库 → 警示")
    expect(history).to_contain_text("交付延期两次，限期整改")
    expect(history).to_contain_text(city_official.display_name or city_official.username)
    official.close()
    assert LibraryEntry.objects.get(pk=entry.pk).status == "warned"

    visitor = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    page = visitor.new_page()
    login(page, live_server, enterprise_user.username, PASSWORD)
    page.locator("#nav-providers").first.click()
    expect(page.locator("h1")).to_have_text("服务商目录")
    expect(page.locator(".directory-entry")).to_have_count(1)
    expect(page.locator(f'.directory-entry[data-uscc="{other.provider.uscc}"]')).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(entry.provider.name)
    visitor.close()
