"""Provinces go by their full names everywhere (issue 12): "内蒙古自治区", not "内蒙古"."""

from __future__ import annotations

import json
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from cities.models import Province
from reports.snapshots import build_snapshot

pytestmark = pytest.mark.django_db

# The full names of the 31 provincial-level divisions and the Corps, by code.
FULL_NAMES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
    "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
    "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区", "66": "新疆生产建设兵团",
}  # fmt: skip
# "内蒙古" not followed by the rest of its name: the short name, shown somewhere.
SHORT = re.compile(r"内蒙古(?!自治区)")


def test_the_reference_data_holds_the_full_names():
    assert dict(Province.objects.values_list("code", "name")) == FULL_NAMES


@pytest.fixture
def inner_mongolia_city(city, sub_industry):
    city.province = Province.objects.get(code="15")
    city.save()
    cache.clear()  # dashboards cached by an earlier test
    return city


def _shows_the_full_name(text: str, where: str) -> None:
    assert "内蒙古自治区" in text, where
    assert not SHORT.search(text), f"{where} shows the short name"


def test_every_page_api_and_report_shows_the_full_name(client, ministry_user, inner_mongolia_city):
    client.force_login(ministry_user)
    pages = {
        "试点城市": reverse("cities:city_list"),
        "城市详情": reverse("cities:city_detail", args=[inner_mongolia_city.code]),
        "全国看板": reverse("oversight:national_dashboard"),
        "城市 API": reverse("city-list"),
        "城市详情 API": reverse("city-detail", args=[inner_mongolia_city.code]),
    }
    for where, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, where
        _shows_the_full_name(response.content.decode(), where)
    city_report = build_snapshot("city", city_code=inner_mongolia_city.code)
    _shows_the_full_name(json.dumps(city_report["city"], ensure_ascii=False), "城市报告")
    national_report = build_snapshot("national")
    _shows_the_full_name(json.dumps(national_report["rows"], ensure_ascii=False), "全国报告")


def test_the_city_api_filters_by_the_full_name_or_the_short_one(
    client, ministry_user, inner_mongolia_city, other_city
):
    client.force_login(ministry_user)
    for name in ("内蒙古自治区", "内蒙古"):
        found = client.get(reverse("city-list"), {"province": name}).json()["results"]
        assert [c["code"] for c in found] == [inner_mongolia_city.code], name
