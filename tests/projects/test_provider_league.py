"""服务商评价 (/providers/league/): scoping, the drill-down links, the status actions with a
reason, and bounded queries."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cities.models import Province
from providers.models import LibraryStatusChange
from tests.cities.factories import CityFactory
from tests.projects.provider_world import ACCEPTED, build, make_project
from tests.providers.factories import LibraryEntryFactory

pytestmark = pytest.mark.django_db

LEAGUE = reverse("projects:provider_league")
AS_OF = {"as_of": "2026-06-15"}


@pytest.fixture
def world(city, sub_industry, other_city):
    return build(city, sub_industry, other_city)


def _row(page: str, uscc: str) -> str:
    match = re.search(rf'<tr data-uscc="{uscc}">(.*?)</tr>', page, re.S)
    assert match, uscc
    return match.group(1)


def _links(row: str) -> dict[str, tuple[str, str]]:
    """class → (href, text) of the row's metric links."""
    return {
        cls: (unescape(href), text)
        for href, cls, text in (
            (m.group(2), m.group(1), m.group(3))
            for m in re.finditer(r'<a class="(m-[a-z-]+)" href="([^"]+)">([^<]*)</a>', row)
        )
    }


def test_the_city_official_reads_the_league_and_every_number_links_to_its_projects(
    client, city_official, world
):
    client.force_login(city_official)
    response = client.get(LEAGUE, AS_OF)
    assert response.status_code == 200
    page = response.content.decode()
    assert "呼和浩特市 · 服务商评价" in page and "v1" in page
    row = _row(page, world["p"].uscc)
    assert "83.1" in row and "4 星" in row and "66.7%" in row and "75.0%" in row
    assert "暂不评级" in _row(page, world["q"].uscc)
    assert world["r"].uscc not in page  # not in the library
    # Rated first: P before Q.
    assert page.index(world["p"].uscc) < page.index(world["q"].uscc)

    links = _links(row)
    expected = {
        "m-projects": 4,  # provider selected by as_of
        "m-accepted": 2,
        "m-failed": 1,
        "m-rate": 3,  # with an acceptance outcome
        "m-uplift": 2,  # the accepted projects
        "m-satisfaction": 2,
        "m-on-time": 4,  # completed by as_of
        "m-on-time-list": 3,  # of which on time
    }
    assert set(links) == set(expected)
    for cls, count in expected.items():
        href, _ = links[cls]
        listed = client.get(href)
        assert listed.status_code == 200, cls
        assert listed.context["page"].paginator.count == count, cls
        assert all(p.provider_id == world["p"].pk for p in listed.context["page"]), cls
    for cls in ("m-projects", "m-accepted", "m-failed"):
        assert int(links[cls][1]) == expected[cls]


def test_the_project_list_filters_the_evaluation_outcomes_by_name(client, city_official, world):
    client.force_login(city_official)
    page = client.get(
        reverse("projects:project_list"), {"outcome": "failed_not_accepted", **AS_OF}
    ).content.decode()
    assert "验收未通过且尚未通过" in page


def test_scoping(client, city, world, other_city_official, ministry_user, province_official):
    client.force_login(other_city_official)
    own = client.get(LEAGUE).content.decode()
    assert "宁波市 · 服务商评价" in own and world["q"].uscc not in own
    assert client.get(LEAGUE, {"city": "HHHT"}).status_code == 404

    client.force_login(ministry_user)
    page = client.get(LEAGUE, {"city": "HHHT", **AS_OF}).content.decode()
    assert world["p"].uscc in page and 'id="f-city"' in page
    assert "警示 / 暂停 / 出库" not in page  # read-only

    client.force_login(province_official)
    assert client.get(LEAGUE, {"city": "HHHT"}).status_code == 200
    elsewhere = CityFactory(code="BT", province=Province.objects.get(short_name="内蒙古"))
    assert elsewhere.province_id != city.province_id
    assert client.get(LEAGUE, {"city": "BT"}).status_code == 404  # another province


@pytest.mark.parametrize(
    "persona", ["district_official", "assessor", "enterprise_user", "provider_user"]
)
def test_other_roles_get_404(request, client, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(LEAGUE).status_code == 404


def test_a_bad_date_is_a_400_naming_it(client, city_official):
    client.force_login(city_official)
    response = client.get(LEAGUE, {"as_of": "2026-02-30"})
    assert response.status_code == 400 and "as_of" in response.content.decode()


def test_the_official_warns_from_the_table_and_the_provider_sees_the_reason(
    client, city_official, provider_user, city, sub_industry
):
    entry = LibraryEntryFactory(city=city, provider=provider_user.provider)
    make_project(sub_industry, entry.provider, **ACCEPTED, satisfaction=2)
    client.force_login(city_official)
    page = client.get(LEAGUE, AS_OF).content.decode()
    action = unescape(
        re.search(r'<a class="button" href="([^"]+)">警示 / 暂停 / 出库</a>', page).group(1)
    )
    assert action.startswith(reverse("providers:entry_status", args=[entry.pk]))
    form = client.get(action)
    assert form.status_code == 200
    # No reason: refused, nothing changes.
    missing = client.post(action, {"status": "warned", "reason": "  "})
    assert missing.status_code == 200 and "必填" in missing.content.decode()
    assert entry.changes.count() == 1
    done = client.post(action, {"status": "warned", "reason": "验收通过率偏低，限期整改"})
    assert done.status_code == 302
    assert done["Location"] == f"{LEAGUE}?city=HHHT&as_of=2026-06-15"
    change = LibraryStatusChange.objects.get(entry=entry, to_status="warned")
    assert change.changed_by == city_official
    back = client.get(done["Location"]).content.decode()
    assert 'class="badge warn">警示' in _row(back, entry.provider.uscc)

    client.force_login(provider_user)
    mine = client.get(reverse("providers:my_provider")).content.decode()
    assert "验收通过率偏低，限期整改" in mine and "警示" in mine


def test_another_citys_official_cannot_change_the_status(client, other_city_official, city):
    entry = LibraryEntryFactory(city=city)
    client.force_login(other_city_official)
    url = reverse("providers:entry_status", args=[entry.pk])
    response = client.post(url, {"status": "removed", "reason": "越权"})
    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.status == "active" and entry.changes.count() == 1


def test_next_never_leaves_the_site(client, city_official, city):
    entry = LibraryEntryFactory(city=city)
    client.force_login(city_official)
    url = reverse("providers:entry_status", args=[entry.pk])
    for target in ("https://evil.example/", "//evil.example/"):
        response = client.post(f"{url}?next={target}", {"status": "warned", "reason": "测试"})
        assert response["Location"] == reverse("providers:entry_detail", args=[entry.pk])
        client.post(url, {"status": "active", "reason": "恢复"})


def test_the_league_paginates(client, city_official, city):
    for _ in range(21):
        LibraryEntryFactory(city=city)
    client.force_login(city_official)
    assert "第 1 / 2 页" in client.get(LEAGUE).content.decode()
    assert "第 2 / 2 页" in client.get(LEAGUE, {"page": "2"}).content.decode()


def _queries(client) -> int:
    cache.clear()  # each size measured cold: the navigation's 待办 count is cached
    with CaptureQueriesContext(connection) as captured:
        assert client.get(LEAGUE, AS_OF).status_code == 200
    return len(captured)


def test_the_league_costs_the_same_queries_at_two_sizes(client, city_official, city, sub_industry):
    client.force_login(city_official)
    provider = LibraryEntryFactory(city=city).provider
    make_project(sub_industry, provider, **ACCEPTED, satisfaction=4)
    small = _queries(client)
    for _ in range(8):
        provider = LibraryEntryFactory(city=city).provider
        for _ in range(3):
            make_project(sub_industry, provider, **ACCEPTED, satisfaction=4)
    assert _queries(client) == small


def test_the_api_lists_the_same_projects_behind_the_numbers(client, city_official, world):
    client.force_login(city_official)
    base = f"/api/v1/projects/?provider={world['p'].pk}&as_of=2026-06-15"
    counts = {
        outcome: len(client.get(f"{base}&outcome={outcome}").json()["results"])
        for outcome in ("acceptance_decided", "failed_not_accepted", "on_time")
    }
    assert counts == {"acceptance_decided": 3, "failed_not_accepted": 1, "on_time": 3}
    wrong = client.get(f"{base}&outcome=nonsense")
    assert wrong.status_code == 400 and "failed_not_accepted" in wrong.json()["outcome"][0]
