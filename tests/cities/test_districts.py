"""Districts (区县, domain §4.1): the `districts` import kind, the districts an `enterprises`
import creates, the data migration from free text, and the API's district field."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from cities.imports import import_file
from cities.models import District, Enterprise
from tests.cities.factories import DistrictFactory, EnterpriseFactory, make_uscc
from tests.cities.import_files import FORMATS, enterprise_file, enterprise_record, kind_file

pytestmark = pytest.mark.django_db


def run(kind, content, *, actor=None, dry_run=False):
    return import_file(kind=kind, content=content, actor=actor, dry_run=dry_run)


def messages(result):
    return [(e.row, e.column, e.message) for e in result.errors]


# --- the districts kind ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_districts_import_upserts_by_city_and_code(fmt, city):
    DistrictFactory(city=city, code="150105", name="赛罕")
    records = [
        {"city_code": "HHHT", "code": "150105", "name": "赛罕区"},
        {"city_code": "HHHT", "code": "150102", "name": "新城区"},
    ]
    result = run("districts", kind_file("districts", records, fmt))
    assert messages(result) == []
    assert (result.created, result.updated) == (1, 1)
    assert sorted(District.objects.filter(city=city).values_list("code", "name")) == [
        ("150102", "新城区"),
        ("150105", "赛罕区"),
    ]


def test_a_district_an_enterprises_import_created_gets_its_real_code(sub_industry):
    run("enterprises", enterprise_file(2))  # creates 赛罕区 as D001
    (created,) = District.objects.all()
    assert created.code == "D001"
    records = [{"city_code": "HHHT", "code": "150105", "name": "赛罕区"}]
    result = run("districts", kind_file("districts", records))
    assert messages(result) == [] and result.updated == 1
    created.refresh_from_db()
    assert created.code == "150105"
    assert set(Enterprise.objects.values_list("district", flat=True)) == {created.pk}


def test_districts_import_refuses_a_name_twice_and_writes_nothing(city):
    DistrictFactory(city=city, code="150105", name="赛罕区")
    DistrictFactory(city=city, code="150104", name="回民区")
    records = [
        {"city_code": "HHHT", "code": "150102", "name": "新城区"},
        {"city_code": "HHHT", "code": "150103", "name": "新城区"},
        {"city_code": "HHHT", "code": "150104", "name": "赛罕区"},
        {"city_code": "NOPE", "code": "1", "name": "某区"},
    ]
    result = run("districts", kind_file("districts", records))
    assert messages(result) == [
        (3, "name", "区县名称“新城区”与第 2 行重复"),
        (4, "name", "本市已有名为“赛罕区”的区县（代码 “150105”）"),
        (5, "city_code", "试点城市“NOPE”不存在"),
    ]
    assert District.objects.count() == 2


def test_a_city_official_imports_only_their_citys_districts(city_official, other_city):
    records = [{"city_code": other_city.code, "code": "1", "name": "某区"}]
    result = run("districts", kind_file("districts", records), actor=city_official)
    assert [m for _, _, m in messages(result)] == ["不能导入其他城市的数据"]
    assert not District.objects.exists()


# --- districts named by an enterprises import ---------------------------------------------------


def test_an_unknown_district_is_listed_on_a_dry_run_and_created_on_import(sub_industry):
    city = sub_industry.city
    DistrictFactory(city=city, code="D001", name="新城区")
    records = [
        enterprise_record(1, district="新城区"),
        enterprise_record(2, district="赛罕区"),
        enterprise_record(3, district="回民区"),
        enterprise_record(4, district="赛罕区"),
        enterprise_record(5, district=""),
    ]
    content = kind_file("enterprises", records)

    dry = run("enterprises", content, dry_run=True)
    assert dry.notices == ("将新建区县：回民区、赛罕区",)
    assert District.objects.count() == 1 and not Enterprise.objects.exists()

    done = run("enterprises", content)
    assert done.written and done.notices == ("已新建区县：回民区、赛罕区",)
    by_name = {d.name: d.code for d in District.objects.filter(city=city)}
    assert by_name == {"新城区": "D001", "回民区": "D002", "赛罕区": "D003"}
    districts = dict(Enterprise.objects.values_list("uscc", "district__name"))
    assert [districts[r["uscc"]] for r in records] == ["新城区", "赛罕区", "回民区", "赛罕区", None]

    again = run("enterprises", content)
    assert again.notices == () and again.unchanged == 5


def test_an_invalid_file_creates_no_district(sub_industry):
    records = [enterprise_record(1, district="赛罕区"), enterprise_record(2, size_class="巨型")]
    result = run("enterprises", kind_file("enterprises", records))
    assert not result.ok and not result.written
    assert not District.objects.exists()


def test_a_long_list_of_new_districts_is_shortened(sub_industry):
    records = [enterprise_record(n, district=f"第{n:02d}开发区管理委员会辖区") for n in range(30)]
    result = run("enterprises", kind_file("enterprises", records), dry_run=True)
    (notice,) = result.notices
    assert notice.startswith("将新建区县：第00开发区") and notice.endswith("等 30 个")
    assert len(notice) < 200  # it goes into the job's progress message


def test_the_import_job_page_shows_the_districts_to_create(client, city_official, sub_industry):
    client.force_login(city_official)
    response = client.post(
        reverse("cities:import_list"),
        {"kind": "enterprises", "file": _upload(enterprise_file(2))},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "将新建区县：赛罕区" in page
    assert not District.objects.exists()


def _upload(content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("名录.csv", content, "text/csv")


# --- the data migration --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_turns_texts_into_districts_per_city_and_back():
    """From free text (0005) to District rows (0006) and back, on real rows."""
    before = [("cities", "0005_pilotcity_report_issuer")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        Province, Batch = old.get_model("cities", "Province"), old.get_model("cities", "PilotBatch")
        City, Sub = old.get_model("cities", "PilotCity"), old.get_model("cities", "SubIndustry")
        OldEnterprise = old.get_model("cities", "Enterprise")
        common = {"province": Province.objects.first(), "batch": Batch.objects.first()}
        a = City.objects.create(code="A", name="甲市", city_type="prefecture", **common)
        b = City.objects.create(code="B", name="乙市", city_type="prefecture", **common)
        texts = [(a, "赛罕区"), (a, " 赛罕区 "), (a, "新城区"), (b, "赛罕区"), (a, "")]
        for n, (city, text) in enumerate(texts):
            OldEnterprise.objects.create(
                uscc=make_uscc(900 + n),
                name=f"企业{n}",
                city=city,
                sub_industry=Sub.objects.get_or_create(city=city, code="S", name="行业")[0],
                district=text,
                size_class="small",
            )

        # Forward to 0006 only (not every later migration): going back then unapplies one.
        after = [("cities", "0006_district")]
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new = MigrationExecutor(connection).loader.project_state(after).apps
        NewDistrict, NewEnterprise = (
            new.get_model("cities", "District"),
            new.get_model("cities", "Enterprise"),
        )
        assert sorted(NewDistrict.objects.values_list("city__code", "code", "name")) == [
            ("A", "D001", "新城区"),
            ("A", "D002", "赛罕区"),
            ("B", "D001", "赛罕区"),
        ]
        got = [
            (e.city.code, e.district.name if e.district else None)
            for e in NewEnterprise.objects.order_by("uscc").select_related("city", "district")
        ]
        assert got == [
            ("A", "赛罕区"),
            ("A", "赛罕区"),
            ("A", "新城区"),
            ("B", "赛罕区"),
            ("A", None),
        ]

        executor = MigrationExecutor(connection)
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        back = old.get_model("cities", "Enterprise").objects.order_by("uscc")
        assert [e.district for e in back] == ["赛罕区", "赛罕区", "新城区", "赛罕区", ""]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


# --- the API -----------------------------------------------------------------------------------


def test_the_api_names_the_district_and_filters_and_patches_by_name(client, city_official, city):
    saihan = DistrictFactory(city=city, name="赛罕区")
    DistrictFactory(city=city, name="新城区")
    ent = EnterpriseFactory(sub_industry__city=city, district=saihan)
    EnterpriseFactory(sub_industry__city=city)
    client.force_login(city_official)
    listed = client.get(reverse("enterprise-list"), {"district": "赛罕区"}).json()["results"]
    assert [(r["uscc"], r["district"]) for r in listed] == [(ent.uscc, "赛罕区")]

    url = reverse("enterprise-detail", args=[ent.uscc])
    response = client.patch(url, {"district": "新城区"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["district"] == "新城区"
    response = client.patch(url, {"district": "回民区"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["district"] == ["城市 HHHT 没有区县 回民区"]
    response = client.patch(url, {"district": ""}, content_type="application/json")
    assert response.status_code == 200 and response.json()["district"] is None


def test_the_history_names_the_districts_an_enterprise_moved_between(client, city_official, city):
    saihan = DistrictFactory(city=city, name="赛罕区")
    DistrictFactory(city=city, name="新城区")
    ent = EnterpriseFactory(sub_industry__city=city, district=saihan)
    client.force_login(city_official)
    url = reverse("enterprise-detail", args=[ent.uscc])
    assert (
        client.patch(url, {"district": "新城区"}, content_type="application/json").status_code
        == 200
    )
    page = client.get(reverse("cities:enterprise_detail", args=[ent.uscc])).content.decode()
    assert "区县：赛罕区 → 新城区" in page


def test_the_roster_filters_by_district_and_offers_a_district_official_only_theirs(
    client, city_official, district_official, district, city
):
    other = DistrictFactory(city=city, code="D9", name="新城区")
    mine = EnterpriseFactory(sub_industry__city=city, district=district)
    theirs = EnterpriseFactory(sub_industry__city=city, district=other)
    url = reverse("oversight:roster", args=[city.code])
    client.force_login(city_official)
    page = client.get(url, {"district": "D9"}).content.decode()
    assert theirs.uscc in page and mine.uscc not in page
    assert f'value="{district.code}"' in page

    client.force_login(district_official)
    page = client.get(url).content.decode()
    assert mine.uscc in page and theirs.uscc not in page
    assert 'value="D9"' not in page and "新城区" not in page
