"""Issue 12, the city official's imports: every problem of every row in one pass, counted in rows
and problems; sub-industries by code or name; allowed values by Chinese label; an empty 城市代码
means the official's own city."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from cities.imports import import_file
from cities.imports.columns import OWN_CITY_ONLY
from cities.imports.plans import USCC_NOT_REGISTRABLE
from cities.models import Enterprise, ImportJob, SubIndustry
from tests.cities.factories import SubIndustryFactory
from tests.cities.import_files import enterprise_record, kind_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run(kind, content, *, actor=None, dry_run=False):
    return import_file(kind=kind, content=content, actor=actor, dry_run=dry_run)


def messages(result):
    return [(e.row, e.column, e.message) for e in result.errors]


def three_bad_rows():
    """Rows 2-4 wrong in five places; row 5 is fine. Row 2 has a cell error AND an unknown
    sub-industry: the second used to surface only on the next upload."""
    return kind_file(
        "enterprises",
        [
            enterprise_record(1, size_class="huge", sub_industry_code="NOPE"),
            enterprise_record(2, quality_tier="很优秀", above_scale="也许"),
            enterprise_record(3, sub_industry_code="X"),
            enterprise_record(4),
        ],
    )


# --- 1. every problem of every row in one pass ----------------------------------------------


def test_a_row_with_a_cell_error_is_still_checked_against_the_database(sub_industry):
    result = run("enterprises", three_bad_rows())
    found = [(row, column) for row, column, _ in messages(result)]
    assert found == [
        (2, "size_class"),
        (2, "sub_industry_code"),
        (3, "above_scale"),
        (3, "quality_tier"),
        (4, "sub_industry_code"),
    ]
    assert messages(result)[1][2] == "城市“HHHT”没有细分行业“NOPE”"
    assert (result.error_rows, result.error_count) == (3, 5)
    assert result.error_summary == "3 行有误，共 5 处"
    # Counts are of the rows without errors only, and nothing is written.
    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    assert not Enterprise.objects.exists()


def test_a_levels_row_with_a_cell_error_still_has_its_enterprise_and_date_checked(enterprise):
    levels = kind_file(
        "levels",
        [
            {
                "uscc": "91350100M000100Y43",
                "assessed_on": "2999-01-01",
                "purpose": "baseline",
                "method": "面谈",
                "level": 2,
            }
        ],
    )
    result = run("levels", levels)
    assert [column for _, column, _ in messages(result)] == ["method", "uscc", "assessed_on"]
    assert result.error_summary == "1 行有误，共 3 处"


def test_a_row_whose_city_does_not_parse_still_has_its_uscc_checked(
    city_official, sub_industry, other_enterprise
):
    records = [enterprise_record(1, uscc=other_enterprise.uscc, city_code="C" * 60)]
    result = run("enterprises", kind_file("enterprises", records), actor=city_official)
    assert [column for _, column, _ in messages(result)] == ["city_code", "uscc"]
    assert messages(result)[1][2] == USCC_NOT_REGISTRABLE


def test_a_duplicate_row_still_has_its_references_checked(sub_industry):
    records = [enterprise_record(1), enterprise_record(1, sub_industry_code="X")]
    result = run("enterprises", kind_file("enterprises", records))
    assert [(row, column) for row, column, _ in messages(result)] == [
        (3, "uscc"),
        (3, "sub_industry_code"),
    ]
    assert result.created == 1  # the first occurrence only


def test_job_page_says_rows_and_problems(client, city_official, sub_industry):
    client.force_login(city_official)
    client.post(
        reverse("cities:import_list"),
        {"kind": "enterprises", "file": SimpleUploadedFile("企业.csv", three_bad_rows())},
    )
    job = ImportJob.objects.get()
    assert (job.state, job.error_rows, job.error_count) == ("invalid", 3, 5)
    page = client.get(reverse("cities:import_detail", args=[job.pk])).content.decode()
    assert "3 行有误，共 5 处，未写入任何数据" in page
    assert "城市“HHHT”没有细分行业“NOPE”" in page
    listing = client.get(reverse("cities:import_list")).content.decode()
    assert "3 行 / 5 处" in listing


def test_api_reports_error_rows_next_to_error_count(city_official, sub_industry):
    api = APIClient()
    api.force_authenticate(city_official)
    response = api.post(
        "/api/v1/imports/",
        {"kind": "enterprises", "file": SimpleUploadedFile("企业.csv", three_bad_rows())},
        format="multipart",
    )
    assert response.status_code == 400
    body = response.json()
    assert (body["error_count"], body["error_rows"]) == (5, 3)
    assert (body["job"]["error_count"], body["job"]["error_rows"]) == (5, 3)
    assert "3 行有误，共 5 处" in body["detail"]
    job = api.get(body["job"]["url"]).json()
    assert (job["error_count"], job["error_rows"]) == (5, 3)


# --- 2. the sub-industry by code or name ----------------------------------------------------


def test_sub_industry_by_name_within_the_rows_city(sub_industry, other_sub_industry):
    records = [enterprise_record(1, sub_industry_code="特色食品")]
    result = run("enterprises", kind_file("enterprises", records))
    assert messages(result) == []
    assert Enterprise.objects.get().sub_industry == sub_industry
    # Another city's sub-industry name is not found in this city.
    records = [enterprise_record(2, sub_industry_code="模具")]
    result = run("enterprises", kind_file("enterprises", records))
    assert messages(result) == [(2, "sub_industry_code", "城市“HHHT”没有细分行业“模具”")]


def test_a_code_wins_over_another_sub_industrys_name(sub_industry):
    named_food = SubIndustryFactory(city=sub_industry.city, code="F2", name="FOOD")
    result = run("enterprises", kind_file("enterprises", [enterprise_record(1)]))
    assert messages(result) == []
    assert Enterprise.objects.get().sub_industry == sub_industry
    assert named_food.enterprises.count() == 0


def test_an_ambiguous_name_names_both_codes(sub_industry):
    SubIndustryFactory(city=sub_industry.city, code="FOOD2", name="特色食品")
    records = [enterprise_record(1, sub_industry_code="特色食品")]
    result = run("enterprises", kind_file("enterprises", records))
    assert messages(result) == [
        (
            2,
            "sub_industry_code",
            "城市“HHHT”有 2 个名为“特色食品”的细分行业（代码 “FOOD”、“FOOD2”）：请改填细分行业代码",
        )
    ]
    assert not Enterprise.objects.exists()


def test_sub_industry_by_name_through_the_api(city_official, sub_industry):
    api = APIClient()
    api.force_authenticate(city_official)
    content = kind_file("enterprises", [enterprise_record(1, sub_industry_code="特色食品")])
    response = api.post(
        "/api/v1/imports/",
        {"kind": "enterprises", "file": SimpleUploadedFile("企业.csv", content)},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert Enterprise.objects.get().sub_industry == sub_industry


# --- 3. allowed values by their Chinese labels first -----------------------------------------


def test_allowed_values_are_listed_by_chinese_label_first(sub_industry):
    records = [enterprise_record(1, quality_tier="很优秀", size_class="huge")]
    result = run("enterprises", kind_file("enterprises", records))
    tier, size = (e.message for e in result.errors)
    assert tier.startswith(
        "无效的值“很优秀”，可选：无、创新型中小企业、省级专精特新、国家级专精特新小巨人（"
    )
    assert size == "无效的值“huge”，可选：中型、小型、微型（也可填代码：medium、small、micro）"


def test_level_values_are_listed_by_chinese_label(enterprise):
    record = {
        "uscc": enterprise.uscc,
        "assessed_on": "2025-03-01",
        "purpose": "baseline",
        "method": "onsite",
        "level": "五级",
    }
    result = run("levels", kind_file("levels", [record]))
    assert messages(result) == [
        (2, "level", "等级“五级”无效，可选：未达一级、一级、二级、三级、四级（也可填 0 到 4）")
    ]


def test_job_page_lists_labels_first(client, city_official, sub_industry):
    client.force_login(city_official)
    content = kind_file("enterprises", [enterprise_record(1, size_class="huge")])
    client.post(
        reverse("cities:import_list"),
        {"kind": "enterprises", "file": SimpleUploadedFile("企业.csv", content)},
    )
    page = client.get(reverse("cities:import_detail", args=[ImportJob.objects.get().pk]))
    assert "可选：中型、小型、微型（也可填代码：medium、small、micro）" in page.content.decode()


# --- 4. a city official may leave 城市代码 empty ---------------------------------------------


def test_empty_city_code_is_the_officials_own_city(city_official, sub_industry):
    records = [enterprise_record(1, city_code=""), enterprise_record(2)]
    result = run("enterprises", kind_file("enterprises", records), actor=city_official)
    assert messages(result) == []
    assert Enterprise.objects.filter(city=sub_industry.city).count() == 2
    subs = kind_file("sub_industries", [{"city_code": "", "code": "TEX", "name": "纺织"}])
    result = run("sub_industries", subs, actor=city_official)
    assert messages(result) == []
    assert SubIndustry.objects.get(code="TEX").city == sub_industry.city


def test_an_empty_and_a_filled_own_city_code_are_the_same_key(city_official, sub_industry):
    records = [
        {"city_code": "", "code": "TEX", "name": "纺织"},
        {"city_code": "HHHT", "code": "TEX", "name": "纺织"},
    ]
    result = run("sub_industries", kind_file("sub_industries", records), actor=city_official)
    assert [(e.row, e.message) for e in result.errors] == [(3, "与第 2 行重复")]


def test_an_administrator_must_fill_the_city_code(admin_user_, sub_industry):
    records = [enterprise_record(1, city_code="")]
    result = run("enterprises", kind_file("enterprises", records), actor=admin_user_)
    assert messages(result) == [(2, "city_code", OWN_CITY_ONLY)]
    assert "系统管理员" in OWN_CITY_ONLY and "城市官员可留空" in OWN_CITY_ONLY
    result = run("enterprises", kind_file("enterprises", records))  # the command: an admin's
    assert messages(result) == [(2, "city_code", OWN_CITY_ONLY)]


def test_empty_city_code_through_the_upload_page(client, city_official, sub_industry):
    client.force_login(city_official)
    content = kind_file("enterprises", [enterprise_record(1, city_code="")], "xlsx")
    response = client.post(
        reverse("cities:import_list"),
        {"kind": "enterprises", "file": SimpleUploadedFile("企业.xlsx", content)},
    )
    job = ImportJob.objects.get()
    assert job.state == "validated", job.errors
    client.post(reverse("cities:import_confirm", args=[job.pk]))
    assert Enterprise.objects.get().city == sub_industry.city
    assert response.status_code == 302
