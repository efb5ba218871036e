"""The registry's enumerations: regions, city types, quality tiers, sizes, target metrics, and
its own import kinds (other apps register theirs with cities.imports.registry)."""

from __future__ import annotations

from django.db import models


class Region(models.TextChoices):
    EAST = "east", "东部"
    CENTRAL = "central", "中部"
    WEST = "west", "西部"
    NORTHEAST = "northeast", "东北"


class CityType(models.TextChoices):
    PROVINCIAL_CAPITAL = "provincial_capital", "省会城市"
    SEPARATELY_PLANNED = "separately_planned", "计划单列市"
    CORPS = "corps", "兵团"
    PREFECTURE = "prefecture", "地级市"
    MUNICIPAL_DISTRICT = "municipal_district", "直辖市区县"


# City types eligible for the higher award cap (docs/rules.md §1, "Money").
MAJOR_CITY_TYPES = frozenset(
    {CityType.PROVINCIAL_CAPITAL, CityType.SEPARATELY_PLANNED, CityType.CORPS}
)


class QualityTier(models.TextChoices):
    NONE = "none", "无"
    INNOVATIVE = "innovative", "创新型中小企业"
    PROVINCIAL_SRDI = "provincial_srdi", "省级专精特新"
    LITTLE_GIANT = "little_giant", "国家级专精特新小巨人"


class SizeClass(models.TextChoices):
    MEDIUM = "medium", "中型"
    SMALL = "small", "小型"
    MICRO = "micro", "微型"


class TargetMetric(models.TextChoices):
    LEVEL2_ENTERPRISES = "level2_enterprises", "二级及以上企业数（家）"
    LEVEL2_SHARE = "level2_share", "二级及以上企业占比（%）"
    TRANSFORMED_ENTERPRISES = "transformed_enterprises", "完成改造企业数（家）"
    SRDI_TRANSFORMED = "srdi_transformed", "完成改造专精特新企业数（家）"
    DIAGNOSED_PROJECTS = "diagnosed_projects", "完成诊断项目数（个）"
    FILED_PROJECTS = "filed_projects", "合同已备案项目数（个）"
    ACCEPTED_PROJECTS = "accepted_projects", "验收通过项目数（个）"
    SUBSIDIES_PAID = "subsidies_paid", "奖补已拨付项目数（个）"


class ImportKind(models.TextChoices):
    """The registry's own import kinds; other apps register theirs (cities.imports.registry)."""

    CITIES = "cities", "试点城市"
    SUB_INDUSTRIES = "sub_industries", "细分行业"
    DISTRICTS = "districts", "区县"
    ENTERPRISES = "enterprises", "企业名录"
