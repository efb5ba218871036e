"""The library API: /api/v1/providers/ (list, retrieve, status action), scoped per role."""

from __future__ import annotations

import pytest

from tests.providers.factories import LibraryEntryFactory, ProductFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/providers/"


def test_the_list_is_scoped_filtered_and_carries_products(client, city, other_city, city_official):
    active = LibraryEntryFactory(city=city)
    ProductFactory(provider=active.provider, scenes=["S06"])
    LibraryEntryFactory(city=city, status="warned")
    LibraryEntryFactory(city=other_city)
    client.force_login(city_official)
    body = client.get(API).json()
    assert len(body["results"]) == 2
    warned = client.get(API, {"status": "warned"}).json()["results"]
    assert [r["status_label"] for r in warned] == ["警示"]
    found = client.get(API, {"q": active.provider.uscc}).json()["results"]
    [row] = found
    assert row["provider"]["uscc"] == active.provider.uscc and row["city"] == "HHHT"
    assert row["products"][0]["scenes"] == [{"code": "S06", "name": "生产管控"}]
    assert client.get(API, {"category": "nonsense"}).status_code == 400


def test_an_enterprise_gets_active_providers_without_history(client, city, enterprise_user):
    active = LibraryEntryFactory(city=city)
    suspended = LibraryEntryFactory(city=city, status="suspended")
    client.force_login(enterprise_user)
    assert [r["id"] for r in client.get(API).json()["results"]] == [active.pk]
    assert client.get(f"{API}{active.pk}/").json()["history"] is None
    assert client.get(f"{API}{suspended.pk}/").status_code == 404
    assert client.get(f"{API}abc/").status_code == 404


def test_the_official_changes_a_status_through_the_action(client, city, city_official):
    entry = LibraryEntryFactory(city=city)
    client.force_login(city_official)
    url = f"{API}{entry.pk}/status/"
    response = client.post(
        url, {"status": "suspended", "reason": "合同纠纷"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "suspended"
    assert body["history"][0]["reason"] == "合同纠纷"
    assert body["history"][0]["changed_by"] == (city_official.display_name or "official")
    again = client.post(
        url, {"status": "suspended", "reason": "再次"}, content_type="application/json"
    )
    assert again.status_code == 409 and "当前状态已是“暂停”" in again.json()["detail"]
    blank = client.post(url, {"status": "warned"}, content_type="application/json")
    assert blank.status_code == 400 and "reason" in blank.json()
    long = client.post(
        url, {"status": "warned", "reason": "长" * 501}, content_type="application/json"
    )
    assert long.status_code == 400
    unknown = client.post(
        url, {"status": "warned", "reason": "x", "by": 1}, content_type="application/json"
    )
    assert unknown.status_code == 400 and "by" in unknown.json()
    assert entry.changes.count() == 2


def test_others_cannot_change_a_status(client, city, assessor, other_city_official):
    entry = LibraryEntryFactory(city=city)
    url = f"{API}{entry.pk}/status/"
    payload = {"status": "warned", "reason": "x"}
    client.force_login(assessor)
    assert client.post(url, payload, content_type="application/json").status_code == 403
    client.force_login(other_city_official)
    assert client.post(url, payload, content_type="application/json").status_code == 404
    assert entry.changes.count() == 1
