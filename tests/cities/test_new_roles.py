"""Where the district official, the provider user and the province official land, and what
their navigation offers (the permission matrix checks every URL; this checks the pages)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cities.models import Province
from tests.cities.factories import CityFactory, EnterpriseFactory

pytestmark = pytest.mark.django_db


def test_a_district_official_starts_on_its_work_queue_and_has_the_district_list(
    client, district_official, city
):
    client.force_login(district_official)
    response = client.get(reverse("cities:home"))
    assert response["Location"] == reverse("projects:work_queue")
    roster = reverse("oversight:roster", args=[city.code])
    page = client.get(response["Location"]).content.decode()
    assert "待初审的入库申请" in page
    assert f'href="{roster}">赛罕区企业</a>' in page
    assert "达标看板" not in page and "账号管理" not in page and "全国看板" not in page


def test_a_provider_user_starts_on_its_work_queue_and_has_no_reports(
    client, provider_user, provider
):
    client.force_login(provider_user)
    response = client.get(reverse("cities:home"))
    assert response["Location"] == reverse("projects:work_queue")
    body = client.get(response["Location"]).content.decode()
    assert "待诊断" in body and "实施中的项目" in body
    assert "我的报告" not in body and "企业名录" not in body
    assert client.get(reverse("reports:report_list")).status_code == 404


def test_a_province_official_compares_the_provinces_cities_only(
    client, province_official, city, sub_industry
):
    elsewhere = CityFactory(
        code="NB", name="宁波市", province=Province.objects.get(short_name="浙江")
    )
    assert elsewhere.province != city.province
    EnterpriseFactory(sub_industry=sub_industry)
    client.force_login(province_official)
    assert client.get(reverse("cities:home"))["Location"] == reverse("oversight:national_dashboard")
    body = client.get(reverse("oversight:national_dashboard")).content.decode()
    assert "全省看板" in body and city.name in body and "宁波市" not in body
    assert 'value="national"' not in body  # no national report to request
    assert client.get(reverse("oversight:city_dashboard", args=["NB"])).status_code == 404
    assert client.get(reverse("oversight:city_dashboard", args=[city.code])).status_code == 200
