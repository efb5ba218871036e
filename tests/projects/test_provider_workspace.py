"""服务商工作台 (issue 14 item 6): the provider's own evaluation and status in every city whose
library it is in, with the reason of the latest change; nobody else's, and nobody else's page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import Project
from providers.services import library_change_status
from tests.cities.factories import EnterpriseFactory
from tests.providers.factories import LibraryEntryFactory

pytestmark = pytest.mark.django_db

URL = reverse("projects:provider_workspace")
STAGES = (
    "applied",
    "admitted",
    "diagnosed",
    "provider_selected",
    "contract_filed",
    "completed",
    "acceptance_applied",
    "accepted",
)


def _accepted(enterprise, provider) -> Project:
    day = timezone.localdate() - dt.timedelta(days=100)
    return Project.objects.create(
        enterprise=enterprise,
        provider=provider,
        contract_no="HT-1",
        contract_amount=100_000,
        planned_completion_on=day + dt.timedelta(days=60),
        satisfaction=5,
        **{f"{stage}_on": day + dt.timedelta(days=i) for i, stage in enumerate(STAGES)},
    )


def test_the_provider_sees_its_cities_scores_and_reasons(
    client, city, other_city, sub_industry, provider, provider_user, city_official
):
    here = LibraryEntryFactory(city=city, provider=provider)
    LibraryEntryFactory(city=other_city, provider=provider)
    rival = LibraryEntryFactory(city=city)
    for _ in range(3):
        _accepted(EnterpriseFactory(sub_industry=sub_industry), provider)
    _accepted(EnterpriseFactory(sub_industry=sub_industry), rival.provider)
    library_change_status(
        actor=city_official, entry_id=here.pk, to_status="warned", reason="验收材料不规范"
    )
    client.force_login(provider_user)
    page = client.get(URL).content.decode()
    row = page.split(f'data-city="{city.code}"')[1].split("</tr>")[0]
    assert "验收材料不规范" in row and "警示" in row
    assert '<a class="m-projects"' in row and ">3</a>" in row
    assert "70.0" in row and "★★★☆☆ 3 星" in row  # 30 + 0 + 25 + 15
    other = page.split(f'data-city="{other_city.code}"')[1].split("</tr>")[0]
    assert ">0</a>" in other and "暂不评级" in other
    assert rival.provider.name not in page
    # The number links to the provider's own projects of that city.
    link = row.split('<a class="m-projects" href="')[1].split('"')[0].replace("&amp;", "&")
    listed = client.get(link)
    assert listed.status_code == 200
    assert listed.context["page"].paginator.count == 3


def test_nobody_else_has_the_workspace(client, city_official, enterprise_user, assessor):
    for user in (city_official, enterprise_user, assessor):
        client.force_login(user)
        assert client.get(URL).status_code == 404
