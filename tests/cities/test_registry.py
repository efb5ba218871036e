"""Registry behaviour users notice: roster filters and paging, derived city facts, field rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Role
from cities.models import CityTarget, Enterprise, PilotBatch, add_months
from tests.cities.factories import CityFactory, EnterpriseFactory, SubIndustryFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_pilot_end_date_is_two_years_after_plan_approval(city):
    city.plan_approved_on = dt.date(2024, 9, 10)
    assert city.pilot_end_date == dt.date(2026, 9, 10)
    city.plan_approved_on = None
    assert city.pilot_end_date is None


def test_pilot_period_comes_from_the_batch_configuration(city):
    city.plan_approved_on = dt.date(2024, 2, 29)
    city.batch.pilot_months = 36
    assert city.pilot_end_date == dt.date(2027, 2, 28)


def test_add_months_keeps_day_or_falls_back_to_month_end():
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2023, 11, 20), 24) == dt.date(2025, 11, 20)


@pytest.mark.parametrize(
    ("city_type", "cap"),
    [
        ("provincial_capital", 15000),
        ("separately_planned", 15000),
        ("corps", 15000),
        ("prefecture", 10000),
        ("municipal_district", 10000),
    ],
)
def test_award_cap_by_city_type(city_type, cap):
    city = CityFactory(city_type=city_type)
    assert city.award_cap_wan == cap


def test_batches_exist_from_the_start_with_the_compliance_configuration():
    batches = {b.year: b for b in PilotBatch.objects.all()}
    assert sorted(batches) == [2023, 2024, 2025]
    assert batches[2024].document_number == "财办建〔2024〕23号"
    assert batches[2024].threshold == Decimal("0.90")
    assert batches[2024].min_level == 2
    assert batches[2024].counted_tiers == ["provincial_srdi", "little_giant"]


def test_batch_rejects_unknown_counted_tier():
    batch = PilotBatch.objects.get(year=2025)
    batch.counted_tiers = ["provincial_srdi", "golden"]
    with pytest.raises(ValidationError) as exc:
        batch.full_clean()
    assert "counted_tiers" in exc.value.message_dict


def test_database_refuses_threshold_above_one():
    batch = PilotBatch.objects.get(year=2023)
    batch.threshold = Decimal("1.5")
    with pytest.raises(IntegrityError), transaction.atomic():
        batch.save()


def test_enterprise_must_use_a_sub_industry_of_its_city(city, other_sub_industry):
    ent = EnterpriseFactory.build(city=city, sub_industry=other_sub_industry)
    with pytest.raises(ValidationError) as exc:
        ent.full_clean()
    assert exc.value.message_dict["sub_industry"] == ["细分行业不属于该企业所在城市"]


def test_enterprise_uscc_is_validated_on_the_model(sub_industry):
    ent = EnterpriseFactory.build(sub_industry=sub_industry, city=sub_industry.city)
    ent.uscc = "9144030071526726XH"
    with pytest.raises(ValidationError) as exc:
        ent.full_clean()
    assert "校验位错误" in exc.value.message_dict["uscc"][0]


def test_user_role_scope_is_enforced_by_the_database(city):
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="x", role=Role.CITY_OFFICIAL, city=None)


def test_city_target_unique_per_metric_and_date(city, sub_industry):
    CityTarget.objects.create(
        city=city, metric="level2_enterprises", value=10, due_date="2026-09-10"
    )
    CityTarget.objects.create(
        city=city,
        sub_industry=sub_industry,
        metric="level2_enterprises",
        value=5,
        due_date="2026-09-10",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CityTarget.objects.create(
            city=city, metric="level2_enterprises", value=12, due_date="2026-09-10"
        )


# --- roster page -------------------------------------------------------------------------------


@pytest.fixture
def roster(city):
    food = SubIndustryFactory(city=city, code="FOOD", name="特色食品")
    text = SubIndustryFactory(city=city, code="TEXT", name="纺织服装")
    ents = [
        EnterpriseFactory(
            sub_industry=food,
            name="青城乳业有限公司",
            above_scale=True,
            quality_tier="little_giant",
            size_class="medium",
        ),
        EnterpriseFactory(
            sub_industry=food,
            name="塞外食品有限公司",
            above_scale=False,
            quality_tier="none",
            size_class="micro",
        ),
        EnterpriseFactory(
            sub_industry=text,
            name="草原羊绒制品有限公司",
            above_scale=True,
            quality_tier="provincial_srdi",
            size_class="small",
        ),
    ]
    return ents


def _listed(response):
    body = response.content.decode()
    return {e.uscc for e in Enterprise.objects.all() if f'data-uscc="{e.uscc}"' in body}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {0, 1, 2}),
        ("sub_industry=FOOD", {0, 1}),
        ("scope=above", {0, 2}),
        ("scope=below", {1}),
        ("tier=little_giant", {0}),
        ("size=small", {2}),
        ("q=羊绒", {2}),
        ("sub_industry=FOOD&scope=above", {0}),
    ],
)
def test_roster_filters(client, city_official, roster, query, expected):
    client.force_login(city_official)
    response = client.get(f"/cities/HHHT/enterprises/?{query}")
    assert response.status_code == 200
    assert _listed(response) == {roster[i].uscc for i in expected}


def test_roster_search_by_uscc_is_case_insensitive(client, city_official, roster):
    client.force_login(city_official)
    response = client.get(f"/cities/HHHT/enterprises/?q={roster[1].uscc[-6:].lower()}")
    assert _listed(response) == {roster[1].uscc}


def test_roster_is_paginated_with_50_per_page(client, city_official, sub_industry):
    EnterpriseFactory.create_batch(60, sub_industry=sub_industry)
    client.force_login(city_official)
    first = client.get("/cities/HHHT/enterprises/")
    second = client.get("/cities/HHHT/enterprises/?page=2")
    assert len(_listed(first)) == 50 and len(_listed(second)) == 10
    assert "共 60 家企业" in first.content.decode()
    assert "第 1 / 2 页" in first.content.decode()


@pytest.mark.parametrize("count", [5, 60])
def test_roster_query_count_does_not_grow_with_enterprises(
    client, city_official, sub_industry, django_assert_max_num_queries, count
):
    EnterpriseFactory.create_batch(count, sub_industry=sub_industry)
    client.force_login(city_official)
    with django_assert_max_num_queries(10):
        assert client.get("/cities/HHHT/enterprises/").status_code == 200


@pytest.mark.parametrize("count", [2, 40])
def test_city_list_query_count_is_bounded(
    client, ministry_user, django_assert_max_num_queries, count
):
    for _ in range(count):
        EnterpriseFactory(sub_industry=SubIndustryFactory(city=CityFactory()))
    client.force_login(ministry_user)
    with django_assert_max_num_queries(6):
        response = client.get("/cities/")
    assert response.content.decode().count("data-city=") == count


def test_city_list_counts_enterprises_by_scope_and_tier(client, ministry_user, roster):
    client.force_login(ministry_user)
    response = client.get("/cities/")
    city = response.context["cities"][0]
    assert (city.enterprise_count, city.above_scale_count, city.srdi_count) == (3, 2, 2)
    assert city.little_giant_count == 1


# --- the enterprise's own profile ---------------------------------------------------------------


def test_enterprise_user_edits_contact_fields(client, enterprise_user, enterprise):
    client.force_login(enterprise_user)
    response = client.post(
        "/my/",
        {
            "contact_name": "王经理",
            "contact_phone": "0471-5550000",
            "contact_email": "wang@example.cn",
            "address": "赛罕区",
        },
    )
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.contact_name == "王经理"
    assert enterprise.history.first().history_user == enterprise_user


def test_enterprise_user_cannot_change_classification_through_the_page(
    client, enterprise_user, enterprise
):
    client.force_login(enterprise_user)
    response = client.post(
        "/my/",
        {"contact_name": "王经理", "quality_tier": "little_giant", "above_scale": "on"},
    )
    assert response.status_code == 200
    assert "企业用户不能修改分类信息" in response.content.decode()
    before = (enterprise.quality_tier, enterprise.above_scale, enterprise.contact_name)
    enterprise.refresh_from_db()
    assert (enterprise.quality_tier, enterprise.above_scale, enterprise.contact_name) == before


def test_enterprise_user_invalid_email_is_explained(client, enterprise_user):
    client.force_login(enterprise_user)
    response = client.post("/my/", {"contact_email": "not-an-email"})
    assert response.status_code == 200
    assert "请输入合法的邮件地址" in response.content.decode()


# --- the API's field-level rules ----------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"quality_tier": "little_giant"},
        {"above_scale": False},
        {"city": "NB"},
        {"contact_phone": "1", "size_class": "medium"},
    ],
)
def test_api_enterprise_user_cannot_change_classification(
    client, enterprise_user, enterprise, other_city, change
):
    client.force_login(enterprise_user)
    response = client.patch(
        f"/api/v1/enterprises/{enterprise.uscc}/", change, content_type="application/json"
    )
    assert response.status_code == 400
    forbidden = next(k for k in change if k != "contact_phone")
    assert "您不能修改" in response.json()[forbidden][0]
    before = Enterprise.objects.get(pk=enterprise.pk)
    assert (before.quality_tier, before.above_scale, before.city_id, before.contact_phone) == (
        enterprise.quality_tier,
        enterprise.above_scale,
        enterprise.city_id,
        enterprise.contact_phone,
    )


def test_api_city_official_reclassifies_within_its_city(client, city_official, enterprise, city):
    other_sub = SubIndustryFactory(city=city, code="BIO", name="生物医药")
    client.force_login(city_official)
    response = client.patch(
        f"/api/v1/enterprises/{enterprise.uscc}/",
        {"quality_tier": "provincial_srdi", "sub_industry": "BIO"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    enterprise.refresh_from_db()
    assert (enterprise.quality_tier, enterprise.sub_industry_id) == (
        "provincial_srdi",
        other_sub.pk,
    )


def test_api_city_official_cannot_move_enterprise_to_another_city(
    client, city_official, enterprise, other_city
):
    client.force_login(city_official)
    response = client.patch(
        f"/api/v1/enterprises/{enterprise.uscc}/", {"city": "NB"}, content_type="application/json"
    )
    assert response.status_code == 400
    enterprise.refresh_from_db()
    assert enterprise.city.code == "HHHT"


def test_api_unknown_sub_industry_is_named(client, city_official, enterprise):
    client.force_login(city_official)
    response = client.patch(
        f"/api/v1/enterprises/{enterprise.uscc}/",
        {"sub_industry": "NOPE"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["sub_industry"] == ["城市 HHHT 没有细分行业 NOPE"]


def test_api_rejects_unknown_fields(client, city_official, enterprise):
    client.force_login(city_official)
    response = client.patch(
        f"/api/v1/enterprises/{enterprise.uscc}/", {"level": 4}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["level"] == ["未知字段"]


def test_api_put_is_not_allowed(client, city_official, enterprise):
    client.force_login(city_official)
    response = client.put(
        f"/api/v1/enterprises/{enterprise.uscc}/", {}, content_type="application/json"
    )
    assert response.status_code == 405


def test_api_enterprise_filters(client, ministry_user, roster, other_enterprise):
    client.force_login(ministry_user)

    def usccs(query):
        response = client.get(f"/api/v1/enterprises/?{query}")
        assert response.status_code == 200
        return {r["uscc"] for r in response.json()["results"]}

    assert usccs("city=HHHT") == {e.uscc for e in roster}
    assert usccs("city=HHHT&sub_industry=FOOD&above_scale=true") == {roster[0].uscc}
    assert usccs("quality_tier=provincial_srdi") == {roster[2].uscc}
    assert usccs("size_class=micro") == {roster[1].uscc}
    assert usccs("q=乳业") == {roster[0].uscc}
    assert client.get("/api/v1/enterprises/?quality_tier=gold").status_code == 400


@pytest.mark.parametrize("count", [3, 80])
def test_api_lists_query_count_is_bounded(
    client, ministry_user, sub_industry, django_assert_max_num_queries, count
):
    EnterpriseFactory.create_batch(count, sub_industry=sub_industry)
    client.force_login(ministry_user)
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/enterprises/?page_size=100").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/cities/").status_code == 200


def test_api_enterprise_list_pages_with_a_cursor(client, ministry_user, sub_industry):
    EnterpriseFactory.create_batch(7, sub_industry=sub_industry)
    client.force_login(ministry_user)
    first = client.get("/api/v1/enterprises/?page_size=5").json()
    second = client.get(first["next"]).json()
    assert len(first["results"]) == 5 and len(second["results"]) == 2
    assert second["next"] is None


def test_api_city_detail_lists_sub_industries_and_derived_facts(client, ministry_user, roster):
    client.force_login(ministry_user)
    data = client.get("/api/v1/cities/HHHT/").json()
    assert [s["code"] for s in data["sub_industries"]] == ["FOOD", "TEXT"]
    assert data["enterprise_count"] == 3
    assert data["award_cap_wan"] == 10000
    assert data["region"] == "east"


def test_enterprise_detail_shows_who_changed_what(
    client, city_official, enterprise_user, enterprise
):
    client.force_login(enterprise_user)
    client.post(
        "/my/", {"contact_name": "李主任", "contact_phone": "", "contact_email": "", "address": ""}
    )
    client.force_login(city_official)
    response = client.get(f"/enterprises/{enterprise.uscc}/")
    history = response.context["history"]
    assert history[0].who == enterprise_user.username
    assert history[0].action == "修改"
    assert [(c.field, c.new) for c in history[0].changes] == [("联系人", "李主任")]
    assert history[-1].action == "创建"
    assert "联系人：（空） → 李主任" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "lands_on"),
    [
        ("enterprise_user", "/projects/queue/"),  # 待办
        ("assessor", "/cities/HHHT/"),
        ("city_official", "/projects/queue/"),
        ("ministry_user", "/dashboard/"),  # 全国看板
        ("admin_user_", "/dashboard/"),
    ],
)
@pytest.mark.django_db
def test_each_role_lands_on_its_own_start_page(client, request, city, persona, lands_on):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/")["Location"] == lands_on


def test_city_list_shows_the_provinces_full_name(client, ministry_user, city):
    """Issue 12: province names in full (广东省, not 广东) on the officials' pages."""
    client.force_login(ministry_user)
    page = client.get(reverse("cities:city_list")).content.decode()
    assert f"<td>{city.province.name}</td>" in page
    assert city.province.name != city.province.short_name


@pytest.mark.parametrize(
    ("role", "bindings"),
    [
        (Role.DISTRICT_OFFICIAL, {"city": True}),  # no district
        (Role.DISTRICT_OFFICIAL, {"district": True}),  # no city
        (Role.PROVIDER, {}),  # no provider
        (Role.PROVIDER, {"provider": True, "city": True}),  # a city besides
        (Role.PROVINCE_OFFICIAL, {}),  # no province
        (Role.MINISTRY, {"province": True}),  # the old roles bind none of the new rows
        (Role.CITY_OFFICIAL, {"city": True, "district": True}),
    ],
)
def test_new_role_bindings_are_enforced_by_the_database(city, role, bindings):
    from providers.models import Provider
    from tests.cities.factories import DistrictFactory

    district = DistrictFactory(city=city)
    provider = Provider.objects.create(
        uscc="91350100M000100Y43", name="某服务商", category="integrator"
    )
    values = {
        "city": city if bindings.get("city") else None,
        "district": district if bindings.get("district") else None,
        "provider": provider if bindings.get("provider") else None,
        "province": city.province if bindings.get("province") else None,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="x", role=role, **values)
