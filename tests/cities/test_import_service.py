"""The import service: every kind in every format, all or nothing, upserts, scope, audit trail."""

import datetime as dt
from decimal import Decimal

import pytest

from assessments.models import Assessment
from cities.imports import import_file
from cities.imports.plans import USCC_NOT_REGISTRABLE
from cities.models import Enterprise, PilotCity, SubIndustry
from tests.cities.factories import EnterpriseFactory, SubIndustryFactory, make_uscc
from tests.cities.import_files import (
    FORMATS,
    csv_bytes,
    enterprise_file,
    enterprise_record,
    kind_file,
)

pytestmark = pytest.mark.django_db


def run(kind, content, *, actor=None, dry_run=False, progress=None):
    return import_file(kind=kind, content=content, actor=actor, dry_run=dry_run, progress=progress)


def messages(result):
    return [(e.row, e.column, e.message) for e in result.errors]


# --- every kind in every format -------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("chinese", [False, True], ids=["english-header", "chinese-header"])
def test_cities_in_every_format(fmt, chinese):
    records = [
        {
            "code": "HHHT",
            "name": "呼和浩特市",
            "province": "内蒙古",
            "batch_year": 2024,
            "city_type": "provincial_capital",
            "plan_approved_on": "2024-07-01",
        },
        {
            "code": "BT",
            "name": "第八师石河子市",
            "province": "新疆生产建设兵团",
            "batch_year": "2025",
            "city_type": "兵团",
            "plan_approved_on": "",
        },
        {
            "code": "NB",
            "name": "宁波市",
            "province": "浙江省",
            "batch_year": 2023,
            "city_type": "计划单列市",
            "plan_approved_on": dt.date(2023, 9, 1),
        },
    ]
    result = run("cities", kind_file("cities", records, fmt, chinese=chinese))
    assert messages(result) == []
    assert (result.total_rows, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    corps = PilotCity.objects.select_related("province", "batch").get(code="BT")
    assert (corps.name, corps.province.short_name, corps.batch.year) == (
        "第八师石河子市",
        "兵团",
        2025,
    )
    assert (corps.city_type, corps.plan_approved_on) == ("corps", None)
    nb = PilotCity.objects.get(code="NB")
    assert (nb.province.name, nb.city_type, nb.plan_approved_on) == (
        "浙江省",
        "separately_planned",
        dt.date(2023, 9, 1),
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_sub_industries_in_every_format(fmt, city):
    records = [
        {"city_code": "HHHT", "code": "FOOD", "name": "特色食品"},
        {"city_code": "HHHT", "code": "TEXTILE", "name": "纺织服装"},
    ]
    result = run("sub_industries", kind_file("sub_industries", records, fmt, chinese=True))
    assert messages(result) == []
    assert result.created == 2
    assert set(city.sub_industries.values_list("code", "name")) == {
        ("FOOD", "特色食品"),
        ("TEXTILE", "纺织服装"),
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_enterprises_in_every_format(fmt, sub_industry):
    records = [
        enterprise_record(
            1, quality_tier="国家级专精特新小巨人", size_class="中型", above_scale="是"
        ),
        enterprise_record(
            2, quality_tier="innovative", size_class="micro", above_scale="no", district=""
        ),
    ]
    result = run("enterprises", kind_file("enterprises", records, fmt))
    assert messages(result) == []
    assert result.created == 2
    first = Enterprise.objects.get(uscc=records[0]["uscc"])
    assert (first.name, first.city, first.sub_industry) == (
        "导入测试制造有限公司1",
        sub_industry.city,
        sub_industry,
    )
    assert (first.quality_tier, first.size_class, first.above_scale, first.district.name) == (
        "little_giant",
        "medium",
        True,
        "赛罕区",
    )
    assert first.district.city == sub_industry.city
    second = Enterprise.objects.get(uscc=records[1]["uscc"])
    assert (second.quality_tier, second.size_class, second.above_scale, second.district) == (
        "innovative",
        "micro",
        False,
        None,
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_levels_in_every_format(fmt, enterprise):
    records = [
        {
            "uscc": enterprise.uscc.lower(),
            "assessed_on": "2025-03-01",
            "purpose": "改造前",
            "method": "现场评定",
            "level": 1,
            "total_score": "35.5",
        },
        {
            "uscc": enterprise.uscc,
            "assessed_on": dt.date(2025, 9, 1),
            "purpose": "post",
            "method": "self",
            "level": "2",
            "total_score": "",
        },
    ]
    result = run("levels", kind_file("levels", records, fmt))
    assert messages(result) == []
    assert result.created == 2
    onsite = Assessment.objects.get(enterprise=enterprise, method="onsite")
    assert (onsite.purpose, onsite.level, onsite.total_score, onsite.assessed_on) == (
        "baseline",
        1,
        Decimal("35.500"),
        dt.date(2025, 3, 1),
    )
    assert (onsite.state, onsite.source) == ("confirmed", "import")
    assert onsite.confirmed_at is not None
    own = Assessment.objects.get(enterprise=enterprise, method="self")
    assert (own.state, own.confirmed_at, own.total_score, own.level) == ("submitted", None, None, 2)


# --- all or nothing, upserts, audit trail ----------------------------------------------------


def test_one_bad_row_in_the_middle_of_1000_writes_nothing_and_names_its_row(sub_industry):
    records = [enterprise_record(n) for n in range(1000)]
    records[499]["uscc"] = records[499]["uscc"][:17] + (
        "0" if records[499]["uscc"][17] != "0" else "1"
    )
    result = run("enterprises", kind_file("enterprises", records))
    assert not result.ok
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.row, error.column) == (501, "uscc")  # header is row 1
    assert "校验位错误" in error.message
    assert str(error).startswith("row 501, uscc: ")
    assert not Enterprise.objects.exists()
    assert not Enterprise.history.exists()


def test_importing_the_same_file_twice_changes_nothing_the_second_time(sub_industry):
    content = enterprise_file(20)
    first = run("enterprises", content)
    assert (first.created, first.updated, first.unchanged) == (20, 0, 0)
    history = Enterprise.history.count()
    second = run("enterprises", content)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 20)
    assert Enterprise.history.count() == history


def test_changed_rows_are_updated_with_a_history_row_naming_the_importer(
    sub_industry, city_official
):
    run("enterprises", enterprise_file(3))
    records = [enterprise_record(n) for n in range(3)]
    records[1]["name"] = "改名后的公司"
    records[2]["quality_tier"] = "provincial_srdi"
    result = run("enterprises", kind_file("enterprises", records), actor=city_official)
    assert (result.created, result.updated, result.unchanged) == (0, 2, 1)
    renamed = Enterprise.objects.get(uscc=records[1]["uscc"])
    assert renamed.name == "改名后的公司"
    latest = renamed.history.latest()
    assert (latest.history_type, latest.history_user, latest.history_change_reason) == (
        "~",
        city_official,
        "批量导入",
    )
    assert latest.name == "改名后的公司"
    assert renamed.history.count() == 2
    assert Enterprise.objects.get(uscc=records[0]["uscc"]).history.count() == 1


def test_created_rows_get_a_history_row_with_the_reason(sub_industry, admin_user_):
    run("enterprises", enterprise_file(2), actor=admin_user_)
    rows = Enterprise.history.all()
    assert [(h.history_type, h.history_user, h.history_change_reason) for h in rows] == [
        ("+", admin_user_, "批量导入")
    ] * 2
    for h in rows:
        assert h.instance.pk == h.id
        assert h.name.startswith("导入测试制造有限公司")


def test_an_update_keeps_contact_fields_and_creation_time(sub_industry):
    enterprise = EnterpriseFactory(
        uscc=make_uscc(100_000), sub_industry=sub_industry, contact_name="张三", name="旧名称"
    )
    created_at = enterprise.created_at
    result = run("enterprises", enterprise_file(1))
    assert result.updated == 1
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.contact_name, enterprise.created_at) == (
        "导入测试制造有限公司0",
        "张三",
        created_at,
    )
    assert enterprise.updated_at > created_at


def test_dry_run_counts_but_writes_nothing(sub_industry):
    EnterpriseFactory(uscc=make_uscc(100_000), sub_industry=sub_industry, name="旧名称")
    result = run("enterprises", enterprise_file(5), dry_run=True)
    assert (result.ok, result.created, result.updated, result.unchanged) == (True, 4, 1, 0)
    assert not result.written
    assert Enterprise.objects.count() == 1
    assert Enterprise.objects.get().name == "旧名称"


def test_reimporting_levels_updates_the_level_in_place(enterprise):
    def levels(level):
        return kind_file(
            "levels",
            [
                {
                    "uscc": enterprise.uscc,
                    "assessed_on": "2025-03-01",
                    "purpose": "baseline",
                    "method": "onsite",
                    "level": level,
                }
            ],
        )

    assert run("levels", levels(1)).created == 1
    again = run("levels", levels(1))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    changed = run("levels", levels(3))
    assert (changed.created, changed.updated) == (0, 1)
    assessment = Assessment.objects.get()
    assert (assessment.level, assessment.state) == (3, "confirmed")


def test_levels_without_score_column_leave_an_imported_score_alone(enterprise):
    row = {
        "uscc": enterprise.uscc,
        "assessed_on": "2025-03-01",
        "purpose": "baseline",
        "method": "onsite",
        "level": 2,
        "total_score": "41.250",
    }
    run("levels", kind_file("levels", [row]))
    header = ["uscc", "assessed_on", "purpose", "method", "level"]
    content = csv_bytes([header, [row[h] for h in header]])
    result = run("levels", content)
    assert (result.unchanged, result.updated) == (1, 0)
    assert Assessment.objects.get().total_score == Decimal("41.250")


def test_a_conflicting_write_during_the_import_rolls_everything_back(sub_industry):
    def meanwhile(percent, message):
        if message.startswith("正在写入"):
            # Another request registers one of the file's enterprises after our checks.
            EnterpriseFactory(uscc=make_uscc(100_002), sub_industry=sub_industry)

    result = run("enterprises", enterprise_file(5), progress=meanwhile)
    assert not result.ok
    assert [e.message for e in result.errors] == [
        "导入期间数据被同时修改，本次未写入任何数据，请重新导入"
    ]
    assert not result.written
    assert not Enterprise.objects.exists()
    assert not Enterprise.history.exists()


# --- row errors -----------------------------------------------------------------------------


def test_duplicate_keys_in_one_file_name_the_earlier_row(sub_industry):
    records = [enterprise_record(n) for n in range(3)] + [enterprise_record(1, name="重复")]
    result = run("enterprises", kind_file("enterprises", records))
    assert messages(result) == [(5, "uscc", "与第 3 行重复")]
    assert not Enterprise.objects.exists()


def test_duplicate_composite_keys_are_found_after_normalisation(enterprise):
    base = {
        "uscc": enterprise.uscc,
        "assessed_on": "2025-03-01",
        "purpose": "baseline",
        "method": "onsite",
        "level": 2,
    }
    records = [base, {**base, "uscc": " " + enterprise.uscc.lower(), "purpose": "改造前"}]
    result = run("levels", kind_file("levels", records))
    assert [(e.row, e.message) for e in result.errors] == [(3, "与第 2 行重复")]
    assert result.errors[0].column == "uscc、assessed_on、purpose、method"


def test_unknown_city_and_sub_industry_are_reported(sub_industry):
    records = [enterprise_record(1, city_code="NOPE"), enterprise_record(2, sub_industry_code="X")]
    result = run("enterprises", kind_file("enterprises", records))
    assert messages(result) == [
        (2, "city_code", "试点城市“NOPE”不存在"),
        (3, "sub_industry_code", "城市“HHHT”没有细分行业“X”"),
    ]


def test_sub_industry_of_another_city_is_an_error(sub_industry, other_sub_industry):
    record = enterprise_record(1, sub_industry_code=other_sub_industry.code)
    result = run("enterprises", kind_file("enterprises", [record]))
    assert messages(result) == [(2, "sub_industry_code", "城市“HHHT”没有细分行业“MOLD”")]
    assert not Enterprise.objects.exists()


def test_unknown_enterprise_in_levels(db):
    record = {
        "uscc": make_uscc(5),
        "assessed_on": "2025-03-01",
        "purpose": "baseline",
        "method": "onsite",
        "level": 2,
    }
    result = run("levels", kind_file("levels", [record]))
    assert messages(result) == [(2, "uscc", f"企业“{make_uscc(5)}”不存在")]


def test_future_assessment_date_is_refused(enterprise):
    record = {
        "uscc": enterprise.uscc,
        "assessed_on": "2999-01-01",
        "purpose": "baseline",
        "method": "onsite",
        "level": 2,
    }
    result = run("levels", kind_file("levels", [record]))
    assert [(e.column, e.message.split("（")[0]) for e in result.errors] == [
        ("assessed_on", "评定日期不能晚于今天")
    ]


def test_unknown_province_and_batch(db):
    record = {
        "code": "X",
        "name": "某市",
        "province": "火星",
        "batch_year": 2019,
        "city_type": "prefecture",
        "plan_approved_on": "",
    }
    result = run("cities", kind_file("cities", [record]))
    assert [(e.column, e.message) for e in result.errors] == [
        ("province", "省份“火星”不存在：请填写省份全称或简称"),
        ("batch_year", "试点批次“2019”不存在，现有批次：2023、2024、2025"),
    ]


def test_malformed_date_and_unknown_enum_in_cities(db):
    record = {
        "code": "X",
        "name": "某市",
        "province": "广东",
        "batch_year": 2024,
        "city_type": "capital",
        "plan_approved_on": "2024/3/5",
    }
    result = run("cities", kind_file("cities", [record]))
    assert [e.column for e in result.errors] == ["city_type", "plan_approved_on"]
    assert "无效的值“capital”" in result.errors[0].message
    assert "应为 YYYY-MM-DD" in result.errors[1].message
    assert not PilotCity.objects.filter(code="X").exists()


def test_errors_from_parsing_and_from_the_database_are_all_reported_in_row_order(sub_industry):
    records = [
        enterprise_record(1, city_code="NOPE"),
        enterprise_record(2, size_class="huge"),
        enterprise_record(3, sub_industry_code="X"),
    ]
    result = run("enterprises", kind_file("enterprises", records))
    assert [e.row for e in result.errors] == [2, 3, 4]


def test_error_list_is_capped_but_every_error_is_counted(sub_industry):
    records = [enterprise_record(n, size_class="huge") for n in range(1100)]
    result = run("enterprises", kind_file("enterprises", records))
    assert (len(result.errors), result.error_count, result.errors_not_listed) == (500, 1100, 600)
    assert result.errors[0].row == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "文件为空"), (b"\r\n\r\n", "没有表头"), (b"%PDF-1.4\n", "不支持的文件格式")],
)
def test_file_level_errors(db, content, message):
    result = run("enterprises", content)
    assert not result.ok
    assert result.errors[0].row is None
    assert message in result.errors[0].message
    assert str(result.errors[0]) == result.errors[0].message


def test_missing_column_is_reported_on_the_header_row(db):
    result = run("sub_industries", csv_bytes([["city_code", "name"], ["HHHT", "特色食品"]]))
    assert messages(result) == [(1, "code（细分行业代码）", "缺少必填列 code（细分行业代码）")]


def test_progress_is_reported_while_reading(sub_industry):
    calls = []
    run("enterprises", enterprise_file(4500), progress=lambda p, m: calls.append((p, m)))
    percents = [p for p, _ in calls]
    assert percents == sorted(percents)
    assert percents[-1] == 100
    # Of an estimate: the file's lines after the header.
    assert (42, "已处理 2000/约 4501 行") in calls
    assert all(isinstance(m, str) and m for _, m in calls)


# --- scope --------------------------------------------------------------------------------


def test_city_official_cannot_import_cities(city_official):
    record = {
        "code": "X",
        "name": "某市",
        "province": "广东",
        "batch_year": 2024,
        "city_type": "prefecture",
        "plan_approved_on": "",
    }
    result = run("cities", kind_file("cities", [record]), actor=city_official)
    assert [e.message for e in result.errors] == ["您无权导入“试点城市”数据"]
    assert not PilotCity.objects.filter(code="X").exists()


@pytest.mark.parametrize("persona", ["ministry_user", "enterprise_user", "assessor"])
def test_other_roles_cannot_import_at_all(request, persona, sub_industry):
    result = run("enterprises", enterprise_file(1), actor=request.getfixturevalue(persona))
    assert not result.ok
    assert not Enterprise.objects.filter(uscc=make_uscc(100_000)).exists()


def test_city_official_row_for_another_city_is_refused(
    city_official, sub_industry, other_sub_industry
):
    records = [enterprise_record(1), enterprise_record(2, city_code="NB", sub_industry_code="MOLD")]
    result = run("enterprises", kind_file("enterprises", records), actor=city_official)
    assert messages(result) == [(3, "city_code", "不能导入其他城市的数据")]
    assert not Enterprise.objects.exists()


def test_city_official_sub_industries_for_another_city_are_refused(city_official, other_city):
    records = [{"city_code": "NB", "code": "NEW", "name": "新行业"}]
    result = run("sub_industries", kind_file("sub_industries", records), actor=city_official)
    assert messages(result) == [(2, "city_code", "不能导入其他城市的数据")]
    assert not SubIndustry.objects.filter(code="NEW").exists()


def test_city_official_cannot_move_an_enterprise_from_another_city(
    city_official, sub_industry, other_enterprise
):
    record = enterprise_record(1, uscc=other_enterprise.uscc)
    result = run("enterprises", kind_file("enterprises", [record]), actor=city_official)
    assert messages(result) == [(2, "uscc", USCC_NOT_REGISTRABLE)]
    assert "其他" not in USCC_NOT_REGISTRABLE and "NB" not in USCC_NOT_REGISTRABLE
    other_enterprise.refresh_from_db()
    assert other_enterprise.city.code == "NB"


def test_another_citys_enterprise_is_not_found_like_one_that_does_not_exist(
    city_official, other_enterprise
):
    # Issue 10, defect 10: the levels import answers the same for both.
    unknown = make_uscc(987_654)
    level = {"assessed_on": "2024-05-01", "purpose": "baseline", "method": "onsite", "level": "2"}
    rows = [{"uscc": other_enterprise.uscc, **level}, {"uscc": unknown, **level}]
    result = run("levels", kind_file("levels", rows), actor=city_official)
    (first, second) = messages(result)
    assert first[:2] == (2, "uscc") and second[:2] == (3, "uscc")
    assert first[2].replace(other_enterprise.uscc, "X") == second[2].replace(unknown, "X")
    assert "不存在" in first[2]


def test_admin_may_move_an_enterprise_to_another_city(admin_user_, sub_industry, other_enterprise):
    record = enterprise_record(1, uscc=other_enterprise.uscc)
    result = run("enterprises", kind_file("enterprises", [record]), actor=admin_user_)
    assert (result.ok, result.updated) == (True, 1)
    other_enterprise.refresh_from_db()
    assert (other_enterprise.city.code, other_enterprise.sub_industry) == ("HHHT", sub_industry)


def test_city_official_levels_for_another_citys_enterprise_look_unknown(
    city_official, enterprise, other_enterprise
):
    records = [
        {
            "uscc": enterprise.uscc,
            "assessed_on": "2025-03-01",
            "purpose": "baseline",
            "method": "onsite",
            "level": 2,
        },
        {
            "uscc": other_enterprise.uscc,
            "assessed_on": "2025-03-01",
            "purpose": "baseline",
            "method": "onsite",
            "level": 2,
        },
        {
            "uscc": make_uscc(999_999),
            "assessed_on": "2025-03-01",
            "purpose": "baseline",
            "method": "onsite",
            "level": 2,
        },
    ]
    result = run("levels", kind_file("levels", records), actor=city_official)
    assert messages(result) == [
        (3, "uscc", f"企业“{other_enterprise.uscc}”不存在"),
        (4, "uscc", f"企业“{make_uscc(999_999)}”不存在"),
    ]
    assert not Assessment.objects.exists()


def test_city_official_imports_own_city(city_official, sub_industry):
    result = run("enterprises", enterprise_file(3), actor=city_official)
    assert (result.ok, result.created) == (True, 3)
    assert Enterprise.history.filter(history_user=city_official).count() == 3


# --- queries --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [50, 500])
def test_query_count_does_not_grow_with_rows(count, sub_industry, django_assert_max_num_queries):
    SubIndustryFactory(city=sub_industry.city, code="TEXTILE")
    EnterpriseFactory(uscc=make_uscc(100_000), sub_industry=sub_industry, name="旧名称")
    records = [
        enterprise_record(n, sub_industry_code="TEXTILE" if n % 2 else "FOOD") for n in range(count)
    ]
    content = kind_file("enterprises", records)
    with django_assert_max_num_queries(30):
        result = run("enterprises", content)
    assert (result.created, result.updated) == (count - 1, 1)
    with django_assert_max_num_queries(10):
        again = run("enterprises", content, dry_run=True)
    assert again.unchanged == count
