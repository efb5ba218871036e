"""The import kinds of the registry: cities, sub-industries, districts, enterprises
(docs/rules.md §3.2, §4.6).

Registered with the framework (`registry.register`) from CitiesConfig.ready(). Only
administrators import cities; city officials import their own city's sub-industries, districts
and enterprises.
"""

from __future__ import annotations

from typing import Final

from cities.models import (
    CityType,
    District,
    Enterprise,
    ImportKind,
    PilotCity,
    QualityTier,
    SizeClass,
    SubIndustry,
)

from . import plans, registry
from .columns import (
    BOOLEAN_OPTIONS,
    Column,
    KindSpec,
    boolean,
    choice,
    iso_date,
    labels,
    max_length,
    text,
    uscc,
    year,
)

CITIES: Final = ImportKind.CITIES.value
SUB_INDUSTRIES: Final = ImportKind.SUB_INDUSTRIES.value
DISTRICTS: Final = ImportKind.DISTRICTS.value
ENTERPRISES: Final = ImportKind.ENTERPRISES.value


# The roster export's read-only columns (oversight.exports): an exported roster, edited or not,
# imports back as is; these cells are not read.
ROSTER_READ_ONLY: Final = (
    "细分行业名称（只读）",
    "计入应改尽改分母（只读）",
    "当前等级（只读）",
    "当前等级评定日期（只读）",
)

_CITY_CODE = text(max_length(PilotCity, "code"))
_SUB_CODE = text(max_length(SubIndustry, "code"))

_SPECS: Final[dict[str, KindSpec]] = {
    CITIES: KindSpec(
        kind=CITIES,
        label=ImportKind.CITIES.label,
        key=("code",),
        columns=(
            Column("code", "城市代码", _CITY_CODE, help="试点城市的唯一代码", example="HHHT"),
            Column(
                "name",
                "城市名称",
                text(max_length(PilotCity, "name")),
                help="城市全称",
                example="呼和浩特市",
            ),
            Column("province", "省份", text(20), help="省份全称或简称", example="内蒙古自治区"),
            Column("batch_year", "批次年份", year, help="试点批次的年份", example="2024"),
            Column(
                "city_type",
                "城市类型",
                choice(CityType),
                help="决定奖补资金上限",
                example=CityType.PROVINCIAL_CAPITAL.label,
                options=labels(CityType),
            ),
            Column(
                "plan_approved_on",
                "方案批复日期",
                iso_date,
                blank=True,
                help="实施方案批复日期，格式 YYYY-MM-DD",
                example="2024-07-01",
            ),
        ),
    ),
    SUB_INDUSTRIES: KindSpec(
        kind=SUB_INDUSTRIES,
        label=ImportKind.SUB_INDUSTRIES.label,
        key=("city_code", "code"),
        columns=(
            Column(
                "city_code",
                "城市代码",
                _CITY_CODE,
                own_city=True,
                help="细分行业所属试点城市的代码",
                example="HHHT",
            ),
            Column(
                "code", "细分行业代码", _SUB_CODE, help="本市内唯一的细分行业代码", example="FOOD"
            ),
            Column(
                "name",
                "细分行业名称",
                text(max_length(SubIndustry, "name")),
                help="细分行业的中文名称",
                example="特色食品",
            ),
        ),
    ),
    DISTRICTS: KindSpec(
        kind=DISTRICTS,
        label=ImportKind.DISTRICTS.label,
        key=("city_code", "code"),
        columns=(
            Column(
                "city_code",
                "城市代码",
                _CITY_CODE,
                own_city=True,
                help="区县所属试点城市的代码",
                example="HHHT",
            ),
            Column(
                "code",
                "区县代码",
                text(max_length(District, "code")),
                help="本市内唯一的区县代码",
                example="150105",
            ),
            Column(
                "name",
                "区县名称",
                text(max_length(District, "name")),
                help="区县的中文名称，本市内不能重名",
                example="赛罕区",
            ),
        ),
    ),
    ENTERPRISES: KindSpec(
        kind=ENTERPRISES,
        label=ImportKind.ENTERPRISES.label,
        key=("uscc",),
        columns=(
            Column(
                "uscc",
                "统一社会信用代码",
                uscc,
                help="18 位统一社会信用代码",
                example="9144030071526726XG",
            ),
            Column(
                "name",
                "企业名称",
                text(max_length(Enterprise, "name")),
                help="营业执照上的企业名称",
                example="示例食品有限公司",
            ),
            Column(
                "city_code",
                "城市代码",
                _CITY_CODE,
                own_city=True,
                help="企业所在试点城市的代码",
                example="HHHT",
            ),
            Column(
                "sub_industry_code",
                "细分行业代码",
                _SUB_CODE,
                help="本市细分行业的代码或名称",
                example="FOOD",
            ),
            Column(
                "district",
                "区县",
                text(max_length(District, "name")),
                blank=True,
                empty="",
                help="企业所在区县的名称；本市还没有的区县在确认导入时新建",
                example="新城区",
            ),
            Column(
                "above_scale",
                "是否规上",
                boolean,
                help="是否规模以上企业",
                example="是",
                options=BOOLEAN_OPTIONS,
            ),
            Column(
                "quality_tier",
                "优质企业梯度",
                choice(QualityTier),
                help="优质中小企业梯度",
                example=QualityTier.INNOVATIVE.label,
                options=labels(QualityTier),
            ),
            Column(
                "size_class",
                "企业规模",
                choice(SizeClass),
                help="企业划型",
                example=SizeClass.SMALL.label,
                options=labels(SizeClass),
            ),
        ),
        ignored=ROSTER_READ_ONLY,
    ),
}


def register() -> None:
    registry.register(_SPECS[CITIES], plans.plan_cities, city_officials=False)
    registry.register(_SPECS[SUB_INDUSTRIES], plans.plan_sub_industries, city_officials=True)
    registry.register(_SPECS[DISTRICTS], plans.plan_districts, city_officials=True)
    registry.register(
        _SPECS[ENTERPRISES], plans.plan_enterprises, city_officials=True, streams=True
    )
