"""Header matching and cell parsing per import kind. Pure: no database."""

import datetime as dt
from decimal import Decimal

import pytest

from assessments import imports as level_import
from cities.imports import columns
from cities.imports.columns import CellError, map_header, parse_row
from cities.imports.registry import SPECS
from tests.cities.factories import make_uscc
from tests.cities.import_files import header


def test_english_headers_any_case_and_chinese_headers_are_accepted():
    spec = SPECS["enterprises"]
    names = header("enterprises")
    mixed = [
        n.upper() if i % 2 else SPECS["enterprises"].columns[i].label for i, n in enumerate(names)
    ]
    mapped, problems = map_header(spec, tuple(mixed))
    assert problems == []
    assert mapped.positions == {c.name: i for i, c in enumerate(spec.columns)}
    assert mapped.title("uscc") == "统一社会信用代码"


def test_missing_required_column_is_named_in_english_and_chinese():
    names = tuple(n for n in header("enterprises") if n != "size_class")
    _, problems = map_header(SPECS["enterprises"], names)
    assert [p.message for p in problems] == ["缺少必填列 size_class（企业规模）"]


def test_optional_total_score_column_may_be_left_out():
    names = tuple(n for n in header("levels") if n != "total_score")
    mapped, problems = map_header(SPECS["levels"], names)
    assert problems == []
    assert "total_score" not in mapped.positions


def test_unknown_column_is_an_error_naming_it():
    _, problems = map_header(SPECS["sub_industries"], ("city_code", "code", "name", "备注"))
    assert len(problems) == 1
    assert problems[0].column == "备注"
    assert "未知的列“备注”" in problems[0].message


def test_same_column_twice_in_english_and_chinese_is_an_error():
    _, problems = map_header(SPECS["sub_industries"], ("city_code", "code", "name", "细分行业名称"))
    assert [p.message for p in problems] == ["列重复：与“name”是同一列"]


def test_a_data_row_instead_of_a_header_says_the_header_is_missing():
    _, problems = map_header(SPECS["sub_industries"], ("HHHT", "FOOD", "特色食品"))
    assert len(problems) == 1
    assert "第一行不是细分行业的表头" in problems[0].message
    assert "city_code（城市代码）" in problems[0].message


def test_blank_header_cell_is_ignored_unless_its_column_has_values():
    spec = SPECS["sub_industries"]
    mapped, problems = map_header(spec, ("city_code", "code", "", "name"))
    assert problems == []
    values, row_problems = parse_row(spec, mapped, ("HHHT", "FOOD", "", "特色食品"))
    assert row_problems == []
    assert values == {"city_code": "HHHT", "code": "FOOD", "name": "特色食品"}
    _, row_problems = parse_row(spec, mapped, ("HHHT", "FOOD", "x", "特色食品"))
    assert [(p.column, p.message) for p in row_problems] == [
        ("第 3 列", "该列没有列名，但这一行在该列有内容")
    ]


def _row(kind, **values):
    spec = SPECS[kind]
    mapped, problems = map_header(spec, tuple(header(kind)))
    assert problems == []
    return parse_row(spec, mapped, tuple(values.get(c.name, "") for c in spec.columns))


def _enterprise(**overrides):
    values = {
        "uscc": make_uscc(1),
        "name": "测试",
        "city_code": "HHHT",
        "sub_industry_code": "FOOD",
        "district": "",
        "above_scale": "否",
        "quality_tier": "none",
        "size_class": "small",
    }
    values.update(overrides)
    return _row("enterprises", **values)


def test_a_valid_enterprise_row_parses_to_model_values():
    values, problems = _enterprise(
        uscc=make_uscc(7).lower(), quality_tier="国家级专精特新小巨人", size_class="中型"
    )
    assert problems == []
    assert values == {
        "uscc": make_uscc(7),
        "name": "测试",
        "city_code": "HHHT",
        "sub_industry_code": "FOOD",
        "district": "",
        "above_scale": False,
        "quality_tier": "little_giant",
        "size_class": "medium",
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("是", True),
        ("否", False),
        ("TRUE", True),
        ("false", False),
        ("1", True),
        ("0", False),
        ("Yes", True),
        ("NO", False),
    ],
)
def test_booleans(text, value):
    assert columns.boolean(text) is value


def test_unknown_boolean_names_the_accepted_forms():
    with pytest.raises(CellError, match="是/否、true/false、1/0 或 yes/no"):
        columns.boolean("对")


def test_required_cell_left_empty_is_an_error_on_that_column():
    _, problems = _enterprise(name="")
    assert [(p.column, p.message) for p in problems] == [("name", "不能为空")]


@pytest.mark.parametrize(
    ("uscc", "message"),
    [
        ("9144030071526726XA", "校验位错误：第 18 位应为 G"),
        ("9144030071526726XO", "不能包含字母 O"),
        ("9144030071526726X", "应为 18 位，实际为 17 位"),
    ],
    ids=["check-character", "forbidden-letter", "length"],
)
def test_uscc_errors_explain_the_problem(uscc, message):
    _, problems = _enterprise(uscc=uscc)
    assert len(problems) == 1
    assert problems[0].column == "uscc"
    assert message in problems[0].message


def test_unknown_enum_value_lists_labels_first_then_codes():
    _, problems = _enterprise(quality_tier="专精特新")
    assert len(problems) == 1
    assert problems[0].message == (
        "无效的值“专精特新”，可选：无、创新型中小企业、省级专精特新、国家级专精特新小巨人"
        "（也可填代码：none、innovative、provincial_srdi、little_giant）"
    )


def test_enum_accepts_code_in_any_case():
    _, problems = _enterprise(size_class="MICRO")
    assert problems == []


def test_every_problem_of_a_row_is_reported():
    _, problems = _enterprise(uscc="123", above_scale="maybe", size_class="huge")
    assert [p.column for p in problems] == ["uscc", "above_scale", "size_class"]


@pytest.mark.parametrize("text", ["2024/3/5", "2024-3-5", "20240305", "05-03-2024", "明天"])
def test_malformed_dates_show_the_expected_format(text):
    with pytest.raises(CellError, match="应为 YYYY-MM-DD"):
        columns.iso_date(text)


def test_impossible_date_is_refused():
    with pytest.raises(CellError, match="不存在"):
        columns.iso_date("2024-02-30")


def test_iso_date():
    assert columns.iso_date("2024-02-29") == dt.date(2024, 2, 29)


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("4", 4), ("二级", 2), ("未达一级", 0)])
def test_levels(text, value):
    assert level_import.level(text) == value


@pytest.mark.parametrize("text", ["5", "-1", "2.5", "L2"])
def test_level_outside_0_to_4_is_refused(text):
    with pytest.raises(CellError, match="0 到 4"):
        level_import.level(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("44.975", Decimal("44.975")), ("100", Decimal("100.000")), ("0.5", Decimal("0.5"))],
)
def test_scores(text, value):
    assert level_import.score(text) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("100.001", "0 到 100"),
        ("-1", "0 到 100"),
        ("44.9751", "三位小数"),
        ("abc", "不是数字"),
        ("NaN", "0 到 100"),
    ],
)
def test_bad_scores(text, message):
    with pytest.raises(CellError, match=message):
        level_import.score(text)


def test_levels_row_without_score_column_parses():
    spec = SPECS["levels"]
    names = tuple(n for n in header("levels") if n != "total_score")
    mapped, _ = map_header(spec, names)
    values, problems = parse_row(
        spec, mapped, (make_uscc(1), "2025-01-02", "改造前", "现场评定", "2")
    )
    assert problems == []
    assert values == {
        "uscc": make_uscc(1),
        "assessed_on": dt.date(2025, 1, 2),
        "purpose": "baseline",
        "method": "onsite",
        "level": 2,
    }


def test_text_longer_than_the_model_field_is_refused():
    _, problems = _enterprise(name="长" * 201)
    assert [p.message for p in problems] == ["长度不能超过 200 个字符（当前 201 个）"]


def test_row_with_more_cells_than_the_header_is_an_error():
    spec = SPECS["sub_industries"]
    mapped, _ = map_header(spec, ("city_code", "code", "name"))
    _, problems = parse_row(spec, mapped, ("HHHT", "FOOD", "特色食品", "多余"))
    assert [p.message for p in problems] == ["该行有 4 列，多于表头的 3 列"]
