"""服务商目录 (issue 14): what an enterprise sees of its city's providers, the filters, and the
pick from the directory when its project is at that step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects.models import Project
from tests.cities.factories import EnterpriseFactory
from tests.providers.factories import LibraryEntryFactory, ProductFactory

pytestmark = pytest.mark.django_db

URL = reverse("projects:directory")


def _diagnosed(enterprise) -> Project:
    day = timezone.localdate() - dt.timedelta(days=10)
    return Project.objects.create(
        enterprise=enterprise, applied_on=day, admitted_on=day, diagnosed_on=day
    )


def test_an_enterprise_reads_its_citys_active_providers(
    client, city, other_city, enterprise_user, sub_industry
):
    active = LibraryEntryFactory(city=city, status="active")
    ProductFactory(provider=active.provider, name="云仓储", scenes=["S12"])
    suspended = LibraryEntryFactory(city=city, status="suspended")
    elsewhere = LibraryEntryFactory(city=other_city, status="active")
    today = timezone.localdate()
    for selected in (today, today, today + dt.timedelta(days=1)):  # the last one: tomorrow
        project = _diagnosed(EnterpriseFactory(sub_industry=sub_industry))
        project.provider = active.provider
        project.provider_selected_on = selected
        project.save()
    client.force_login(enterprise_user)
    page = client.get(URL).content.decode()
    assert "服务商目录" in page and active.provider.name in page
    assert "云仓储" in page and "S12 仓储物流" in page
    assert '服务企业 <b class="served">2</b> 家' in page
    assert "暂不评级" in page  # no acceptance outcome yet
    assert suspended.provider.name not in page and elsewhere.provider.name not in page
    assert "选择此服务商" not in page  # no project at that step


def test_filters_by_scene_and_category(client, city, enterprise_user):
    cloud = LibraryEntryFactory(city=city, provider__category="product")
    ProductFactory(provider=cloud.provider, scenes=["S12", "S03"])
    leader = LibraryEntryFactory(city=city, provider__category="chain_leader")
    ProductFactory(provider=leader.provider, scenes=["S01"])
    client.force_login(enterprise_user)
    by_scene = client.get(URL, {"scene": "S03"}).content.decode()
    assert cloud.provider.name in by_scene and leader.provider.name not in by_scene
    by_category = client.get(URL, {"category": "chain_leader"}).content.decode()
    assert leader.provider.name in by_category and cloud.provider.name not in by_category
    # An unknown scene or category is ignored, not an error.
    stale = client.get(URL, {"scene": "S99<script>", "category": "nope"})
    assert stale.status_code == 200
    assert cloud.provider.name in stale.content.decode()


def test_the_enterprise_picks_from_the_directory_when_its_project_is_diagnosed(
    client, city, enterprise, enterprise_user
):
    entry = LibraryEntryFactory(city=city)
    project = _diagnosed(enterprise)
    client.force_login(enterprise_user)
    page = client.get(URL).content.decode()
    assert "选择此服务商" in page
    action = reverse("projects:project_move", args=[project.pk, "select_provider"])
    assert f'action="{action}"' in page
    response = client.post(action, {"provider": entry.provider.pk})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.provider_id == entry.provider.pk
    assert project.provider_selected_on == timezone.localdate()
    assert "选择此服务商" not in client.get(URL).content.decode()  # chosen: no more picking


def test_other_roles_get_404(client, city, city_official, provider_user, assessor):
    for user in (city_official, provider_user, assessor):
        client.force_login(user)
        assert client.get(URL).status_code == 404


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured)


def test_the_directory_costs_the_same_queries_at_two_sizes(client, city, enterprise_user):
    client.force_login(enterprise_user)
    for _ in range(2):
        ProductFactory(provider=LibraryEntryFactory(city=city).provider, scenes=["S01"])
    small = _queries(client)
    for _ in range(10):
        ProductFactory(provider=LibraryEntryFactory(city=city).provider, scenes=["S01"])
    assert _queries(client) == small


def test_a_rated_provider_shows_its_stars(client, city, enterprise_user, sub_industry):
    """Three accepted projects, rated 5, on time, no levels: 30 + 0 + 25 + 15 = 70.0, ★3
    (the provider evaluation, §4.5); with fewer than three outcomes it is not rated."""
    rated = LibraryEntryFactory(city=city)
    new = LibraryEntryFactory(city=city)
    day = timezone.localdate() - dt.timedelta(days=100)
    for provider, count in ((rated.provider, 3), (new.provider, 2)):
        for _ in range(count):
            Project.objects.create(
                enterprise=EnterpriseFactory(sub_industry=sub_industry),
                provider=provider,
                contract_no="HT-1",
                contract_amount=100_000,
                planned_completion_on=day + dt.timedelta(days=60),
                satisfaction=5,
                **{
                    f"{stage}_on": day + dt.timedelta(days=i)
                    for i, stage in enumerate(
                        (
                            "applied",
                            "admitted",
                            "diagnosed",
                            "provider_selected",
                            "contract_filed",
                            "completed",
                            "acceptance_applied",
                            "accepted",
                        )
                    )
                },
            )
    client.force_login(enterprise_user)
    page = client.get(URL).content.decode()
    cards = {
        uscc: page.split(f'data-uscc="{uscc}"')[1].split("</section>")[0]
        for uscc in (rated.provider.uscc, new.provider.uscc)
    }
    assert "★★★☆☆ 3 星" in cards[rated.provider.uscc]
    assert '<b class="served">3</b>' in cards[rated.provider.uscc]
    assert "暂不评级" in cards[new.provider.uscc]
    assert '<b class="served">2</b>' in cards[new.provider.uscc]
