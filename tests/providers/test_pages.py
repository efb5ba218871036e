"""Library pages: the list with filters, entry detail with products and history, the status
and add forms, and the enterprise's directory."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from providers.models import LibraryEntry
from tests.providers.factories import LibraryEntryFactory, ProductFactory, provider_uscc

pytestmark = pytest.mark.django_db

LIST = reverse("providers:library_list")


def test_the_official_lists_the_library_with_filters_and_badges(client, city, city_official):
    warned = LibraryEntryFactory(city=city, status="warned")
    LibraryEntryFactory(city=city, status="active")
    client.force_login(city_official)
    page = client.get(LIST).content.decode()
    assert "共 2 家服务商" in page and 'class="badge warn">警示' in page
    assert "添加服务商" in page and 'id="nav-providers">服务商库' in page
    filtered = client.get(LIST, {"status": "warned"}).content.decode()
    assert "共 1 家服务商" in filtered and warned.provider.name in filtered
    searched = client.get(LIST, {"q": warned.provider.uscc}).content.decode()
    assert "共 1 家服务商" in searched


def test_the_list_paginates(client, city, city_official):
    for _ in range(21):
        LibraryEntryFactory(city=city)
    client.force_login(city_official)
    assert "第 1 / 2 页" in client.get(LIST).content.decode()
    assert "第 2 / 2 页" in client.get(LIST, {"page": "2"}).content.decode()


def test_the_detail_shows_profile_products_with_scene_names_and_history(
    client, city, city_official
):
    entry = LibraryEntryFactory(city=city)
    ProductFactory(provider=entry.provider, name="云排产", scenes=["S05"])
    client.force_login(city_official)
    page = client.get(reverse("providers:entry_detail", args=[entry.pk])).content.decode()
    assert entry.provider.uscc in page and "云排产" in page and "S05 计划排程" in page
    assert 'id="status-history"' in page and "入库" in page and "变更状态" in page


def test_the_official_changes_a_status_with_a_reason(client, city, city_official):
    entry = LibraryEntryFactory(city=city)
    client.force_login(city_official)
    url = reverse("providers:entry_status", args=[entry.pk])
    response = client.post(url, {"status": "warned", "reason": "交付延期"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == "warned"
    detail = client.get(response["Location"]).content.decode()
    assert "交付延期" in detail and "在库 → 警示" in detail


def test_the_same_status_is_shown_as_an_error_on_the_form(client, city, city_official):
    entry = LibraryEntryFactory(city=city)
    client.force_login(city_official)
    url = reverse("providers:entry_status", args=[entry.pk])
    response = client.post(url, {"status": "active", "reason": "复核"})
    assert response.status_code == 200
    assert "当前状态已是“在库”" in response.content.decode()
    missing = client.post(url, {"status": "warned", "reason": ""})
    assert missing.status_code == 200 and "该字段是必填项" in missing.content.decode()
    assert entry.changes.count() == 1


def test_the_official_adds_a_new_provider(client, city, city_official):
    client.force_login(city_official)
    response = client.post(
        reverse("providers:entry_add"),
        {
            "uscc": provider_uscc(77),
            "name": "新增数字科技有限公司",
            "category": "product",
            "reason": "2026 年第一批入库",
        },
    )
    assert response.status_code == 302
    entry = LibraryEntry.objects.get()
    assert entry.city == city and entry.changes.get().reason == "2026 年第一批入库"


def test_adding_without_a_name_for_an_unknown_provider_is_explained(client, city, city_official):
    client.force_login(city_official)
    response = client.post(
        reverse("providers:entry_add"), {"uscc": provider_uscc(78), "reason": "入库"}
    )
    assert response.status_code == 200
    assert "请填写服务商名称和类别" in response.content.decode()
    assert not LibraryEntry.objects.exists()


def test_an_enterprise_is_sent_to_the_directory_and_reads_active_entries_only(
    client, city, other_city, enterprise_user
):
    """The managed library is not an enterprise's page: it is sent to the directory
    (/provider-directory/, tests/projects/test_directory.py), and reads active entries only."""
    active = LibraryEntryFactory(city=city, status="active")
    ProductFactory(provider=active.provider, name="云仓储", scenes=["S12"])
    suspended = LibraryEntryFactory(city=city, status="suspended")
    elsewhere = LibraryEntryFactory(city=other_city, status="active")
    client.force_login(enterprise_user)
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:directory")
    detail = client.get(reverse("providers:entry_detail", args=[active.pk])).content.decode()
    assert "云仓储" in detail and 'id="status-history"' not in detail and "变更状态" not in detail
    assert "返回服务商目录" in detail
    for hidden in (suspended, elsewhere):
        url = reverse("providers:entry_detail", args=[hidden.pk])
        assert client.get(url).status_code == 404
    status_url = reverse("providers:entry_status", args=[active.pk])
    assert client.post(status_url, {"status": "warned", "reason": "x"}).status_code == 403


def test_other_roles_read_but_do_not_manage(client, city, assessor, ministry_user):
    entry = LibraryEntryFactory(city=city)
    for user in (assessor, ministry_user):
        client.force_login(user)
        page = client.get(LIST).content.decode()
        assert entry.provider.name in page and "添加服务商" not in page
        assert client.get(reverse("providers:entry_add")).status_code == 404
        status_url = reverse("providers:entry_status", args=[entry.pk])
        assert client.get(status_url).status_code == 403


def _queries_for(client, url: str) -> int:
    cache.clear()  # each size measured cold: the navigation's 待办 count is cached
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_at_two_sizes(client, city, city_official):
    client.force_login(city_official)
    for _ in range(2):
        ProductFactory(provider=LibraryEntryFactory(city=city).provider)
    small = _queries_for(client, LIST)
    for _ in range(8):
        ProductFactory(provider=LibraryEntryFactory(city=city).provider)
    assert _queries_for(client, LIST) == small
