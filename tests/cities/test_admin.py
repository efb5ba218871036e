"""The admin: reference data pages render with bounded queries; administrators create ministry
and city-official accounts that must change their password at first login."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats

from accounts.models import Role, User
from cities.models import CityTarget, Enterprise, PilotBatch, PilotCity, Province, SubIndustry
from tests.cities.factories import (
    CityFactory,
    EnterpriseFactory,
    SubIndustryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REGISTERED = [Province, PilotBatch, PilotCity, SubIndustry, Enterprise, CityTarget, User]
WITH_HISTORY = [PilotBatch, PilotCity, SubIndustry, Enterprise, CityTarget, User]
PASSWORD = "Tianfu-Square-2026"


@pytest.fixture
def admin_client_(client, admin_user_):
    client.force_login(admin_user_)
    return client


@pytest.fixture
def target(city, sub_industry):
    return CityTarget.objects.create(
        city=city, sub_industry=sub_industry, metric="level2_share", value=90, due_date="2026-12-31"
    )


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_reference_model_is_registered():
    registered = {m for m in admin.site._registry if m._meta.app_label in ("accounts", "cities")}
    assert registered >= set(REGISTERED)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m.__name__)
def test_admin_pages_render(admin_client_, model, enterprise, enterprise_user, target):
    obj = model.objects.order_by("pk").first()
    assert obj is not None
    assert admin_client_.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client_.get(admin_url(model, "changelist"), {"q": "1"}).status_code == 200
    assert admin_client_.get(admin_url(model, "add")).status_code == 200
    assert admin_client_.get(admin_url(model, "change", obj.pk)).status_code == 200
    if model in WITH_HISTORY:
        assert admin_client_.get(admin_url(model, "history", obj.pk)).status_code == 200


def _add_rows(model, n, sub_industry):
    city = sub_industry.city
    if model is Enterprise:
        EnterpriseFactory.create_batch(n, sub_industry=sub_industry)
    elif model is User:
        for enterprise in EnterpriseFactory.create_batch(n, sub_industry=sub_industry):
            UserFactory(role=Role.ENTERPRISE, enterprise=enterprise)
    elif model is PilotCity:
        CityFactory.create_batch(n)
    elif model is SubIndustry:
        SubIndustryFactory.create_batch(n, city=city)
    elif model is CityTarget:
        start = CityTarget.objects.count()
        for i in range(start, start + n):
            CityTarget.objects.create(
                city=city,
                sub_industry=sub_industry,
                metric="level2_enterprises",
                value=i,
                due_date=dt.date(2026, 1, 1) + dt.timedelta(days=i),
            )


@pytest.mark.parametrize(
    "model", [Enterprise, User, PilotCity, SubIndustry, CityTarget], ids=lambda m: m.__name__
)
def test_changelist_queries_do_not_grow_with_rows(
    admin_client_, model, sub_industry, django_assert_max_num_queries
):
    url = admin_url(model, "changelist")
    _add_rows(model, 3, sub_industry)
    with CaptureQueriesContext(connection) as few:
        assert admin_client_.get(url).status_code == 200
    _add_rows(model, 27, sub_industry)
    with django_assert_max_num_queries(len(few)):
        response = admin_client_.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 30


def test_pilot_city_changelist_shows_the_pilot_end_date(admin_client_, city):
    response = admin_client_.get(admin_url(PilotCity, "changelist"))
    assert "试点结束日期" in response.content.decode()
    assert formats.date_format(city.pilot_end_date) in response.content.decode()


def test_add_user_form_offers_role_scope_and_first_login_change(admin_client_):
    response = admin_client_.get(admin_url(User, "add"))
    body = response.content.decode()
    for name in ("role", "city", "enterprise", "display_name", "must_change_password"):
        assert f'name="{name}"' in body, name
    assert response.context["adminform"].form["must_change_password"].initial is True


def add_user(admin_client_, **fields):
    data = {
        "username": "hhht-official",
        "usable_password": "true",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "role": Role.CITY_OFFICIAL,
        "city": "",
        "enterprise": "",
        "display_name": "赵处长",
        "phone": "",
        "must_change_password": "on",
        "_save": "保存",
        **fields,
    }
    if data["must_change_password"] is None:
        del data["must_change_password"]
    return admin_client_.post(admin_url(User, "add"), data)


def test_admin_creates_a_city_official(admin_client_, admin_user_, city):
    response = add_user(admin_client_, city=city.pk)

    assert response.status_code == 302
    user = User.objects.get(username="hhht-official")
    assert (user.role, user.city, user.enterprise) == (Role.CITY_OFFICIAL, city, None)
    assert user.must_change_password
    assert user.created_by == admin_user_
    assert user.check_password(PASSWORD)
    assert user.history.get().history_user == admin_user_


def test_admin_may_untick_the_first_login_change(admin_client_):
    response = add_user(admin_client_, role=Role.MINISTRY, must_change_password=None)
    assert response.status_code == 302
    user = User.objects.get(username="hhht-official")
    assert user.role == Role.MINISTRY
    assert not user.must_change_password


def test_admin_city_official_without_city_is_refused(admin_client_):
    response = add_user(admin_client_)
    assert response.status_code == 200
    assert "必须绑定一个试点城市" in response.content.decode()
    assert not User.objects.filter(username="hhht-official").exists()


def test_admin_created_official_changes_password_then_manages_accounts(admin_client_, client, city):
    add_user(admin_client_, city=city.pk)
    official = Client()
    assert (
        official.post(
            reverse("accounts:login"), {"username": "hhht-official", "password": PASSWORD}
        )
    ).status_code == 302
    assert official.get(reverse("cities:account_list"))["Location"].startswith(
        reverse("accounts:password_change")
    )
    new = "Wuhou-Temple-2026"
    official.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert official.get(reverse("cities:account_list")).status_code == 200


def test_admin_setting_someone_elses_password_makes_it_an_initial_one(
    admin_client_, admin_user_, city_official
):
    url = reverse("admin:auth_user_password_change", args=[city_official.pk])
    response = admin_client_.post(
        url, {"usable_password": "true", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    city_official.refresh_from_db()
    assert city_official.check_password(PASSWORD)
    assert city_official.must_change_password

    own = reverse("admin:auth_user_password_change", args=[admin_user_.pk])
    admin_client_.post(
        own, {"usable_password": "true", "password1": PASSWORD, "password2": PASSWORD}
    )
    admin_user_.refresh_from_db()
    assert admin_user_.check_password(PASSWORD)
    assert not admin_user_.must_change_password


def test_admin_cannot_set_an_accounts_current_password_as_its_new_one(admin_client_, city_official):
    current = "Sme-pilot-2026!"  # what UserFactory sets
    url = reverse("admin:auth_user_password_change", args=[city_official.pk])

    response = admin_client_.post(
        url, {"usable_password": "true", "password1": current, "password2": current}
    )

    assert response.status_code == 200
    assert "新密码不能与当前密码相同" in response.content.decode()
    city_official.refresh_from_db()
    assert not city_official.must_change_password


def test_admin_deactivation_ends_open_sessions_for_good(admin_client_, city_official, city):
    session = Client()
    session.post(reverse("accounts:login"), {"username": "official", "password": "Sme-pilot-2026!"})
    assert session.get(reverse("cities:account_list")).status_code == 200
    url = admin_url(User, "change", city_official.pk)
    fields = {
        "username": "official",
        "role": Role.CITY_OFFICIAL,
        "city": city.pk,
        "enterprise": "",
        "display_name": "",
        "phone": "",
        "email": "",
        "_save": "保存",
    }

    assert admin_client_.post(url, fields).status_code == 302  # is_active unticked
    city_official.refresh_from_db()
    assert not city_official.is_active
    assert admin_client_.post(url, {**fields, "is_active": "on"}).status_code == 302
    city_official.refresh_from_db()
    assert city_official.is_active

    response = session.get(reverse("cities:account_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_batch_compliance_config_is_edited_with_tick_boxes_and_recorded(admin_client_, admin_user_):
    batch = PilotBatch.objects.get(year=2024)
    url = admin_url(PilotBatch, "change", batch.pk)
    form = admin_client_.get(url)
    assert 'type="checkbox" name="counted_tiers" value="little_giant"' in form.content.decode()

    response = admin_client_.post(
        url,
        {
            "year": 2024,
            "document_number": batch.document_number,
            "threshold": "0.85",
            "min_level": 3,
            "count_above_scale": "on",
            "counted_tiers": ["little_giant"],
            "pilot_months": 30,
            "award_cap_major_wan": 15000,
            "award_cap_other_wan": 10000,
            "funds_other_max_share": "0.25",
            "funds_transformation_min_share": "0.75",
            "acceptance_window_months": 4,
        },
    )

    assert response.status_code == 302
    batch.refresh_from_db()
    assert (str(batch.funds_other_max_share), str(batch.funds_transformation_min_share)) == (
        "0.25",
        "0.75",
    )
    assert batch.counted_tiers == ["little_giant"]
    assert (str(batch.threshold), batch.min_level, batch.pilot_months) == ("0.85", 3, 30)
    assert batch.acceptance_window_months == 4
    latest = batch.history.latest()
    assert latest.history_user == admin_user_
    history = admin_client_.get(admin_url(PilotBatch, "history", batch.pk))
    assert admin_user_.username in history.content.decode()


def test_non_staff_cannot_open_the_admin(client, city_official):
    client.force_login(city_official)
    response = client.get(admin_url(Enterprise, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_import_jobs_are_listed_read_only(admin_client_, city_official, city):
    from django.core.files.base import ContentFile

    from cities.models import ImportJob

    job = ImportJob(
        kind="enterprises",
        original_filename="名录.csv",
        requested_by=city_official,
        city=city,
        state="done",
        created_count=12,
    )
    job.file.save("admin-test.csv", ContentFile(b"uscc\n"), save=False)
    job.save()
    try:
        listing = admin_client_.get(admin_url(ImportJob, "changelist"))
        assert listing.status_code == 200 and "名录.csv" in listing.content.decode()
        assert admin_client_.get(admin_url(ImportJob, "add")).status_code == 403
        assert (
            admin_client_.post(admin_url(ImportJob, "delete", job.pk), {"post": "yes"}).status_code
            == 403
        )
        assert ImportJob.objects.filter(pk=job.pk).exists()
    finally:
        job.file.delete(save=False)


def test_admin_creates_a_province_official(admin_client_, city):
    response = add_user(admin_client_, role=Role.PROVINCE_OFFICIAL, province=city.province_id)
    assert response.status_code == 302
    user = User.objects.get(username="hhht-official")
    assert (user.role, user.province, user.city) == (Role.PROVINCE_OFFICIAL, city.province, None)


def test_admin_province_official_without_province_is_refused(admin_client_, city):
    response = add_user(admin_client_, role=Role.PROVINCE_OFFICIAL, city=city.pk)
    assert response.status_code == 200
    assert "省级管理员必须绑定一个省份" in response.content.decode()
    assert not User.objects.filter(username="hhht-official").exists()


def test_admin_district_official_needs_a_district_of_their_city(admin_client_, city, other_city):
    from tests.cities.factories import DistrictFactory

    elsewhere = DistrictFactory(city=other_city)
    response = add_user(
        admin_client_, role=Role.DISTRICT_OFFICIAL, city=city.pk, district=elsewhere.pk
    )
    assert response.status_code == 200
    assert "所选区县不属于该账号的试点城市" in response.content.decode()
    assert not User.objects.filter(username="hhht-official").exists()
