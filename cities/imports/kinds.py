"""The import kinds of the registry: cities, sub-industries, enterprises (docs/rules.md §3.2).

Registered with the framework (`registry.register`) from CitiesConfig.ready(). Only
administrators import cities; city officials import their own city's sub-industries and
enterprises.
"""

from __future__ import annotations

from typing import Final

from cities.models import (
    CityType,
    Enterprise,
    ImportKind,
    PilotCity,
    QualityTier,
    SizeClass,
    SubIndustry,
)

from . import plans, registry
from .columns import Column, KindSpec, boolean, choice, iso_date, max_length, text, uscc, year

CITIES: Final = ImportKind.CITIES.value
SUB_INDUSTRIES: Final = ImportKind.SUB_INDUSTRIES.value
ENTERPRISES: Final = ImportKind.ENTERPRISES.value


_CITY_CODE = text(max_length(PilotCity, "code"))
_SUB_CODE = text(max_length(SubIndustry, "code"))

_SPECS: Final[dict[str, KindSpec]] = {
    CITIES: KindSpec(
        kind=CITIES,
        label=ImportKind.CITIES.label,
        key=("code",),
        columns=(
            Column("code", "城市代码", _CITY_CODE),
            Column("name", "城市名称", text(max_length(PilotCity, "name"))),
            Column("province", "省份", text(20)),
            Column("batch_year", "批次年份", year),
            Column("city_type", "城市类型", choice(CityType)),
            Column("plan_approved_on", "方案批复日期", iso_date, blank=True),
        ),
    ),
    SUB_INDUSTRIES: KindSpec(
        kind=SUB_INDUSTRIES,
        label=ImportKind.SUB_INDUSTRIES.label,
        key=("city_code", "code"),
        columns=(
            Column("city_code", "城市代码", _CITY_CODE),
            Column("code", "细分行业代码", _SUB_CODE),
            Column("name", "细分行业名称", text(max_length(SubIndustry, "name"))),
        ),
    ),
    ENTERPRISES: KindSpec(
        kind=ENTERPRISES,
        label=ImportKind.ENTERPRISES.label,
        key=("uscc",),
        columns=(
            Column("uscc", "统一社会信用代码", uscc),
            Column("name", "企业名称", text(max_length(Enterprise, "name"))),
            Column("city_code", "城市代码", _CITY_CODE),
            Column("sub_industry_code", "细分行业代码", _SUB_CODE),
            Column(
                "district", "区县", text(max_length(Enterprise, "district")), blank=True, empty=""
            ),
            Column("above_scale", "是否规上", boolean),
            Column("quality_tier", "优质企业梯度", choice(QualityTier)),
            Column("size_class", "企业规模", choice(SizeClass)),
        ),
    ),
}


def register() -> None:
    registry.register(_SPECS[CITIES], plans.plan_cities, city_officials=False)
    registry.register(_SPECS[SUB_INDUSTRIES], plans.plan_sub_industries, city_officials=True)
    registry.register(_SPECS[ENTERPRISES], plans.plan_enterprises, city_officials=True)
