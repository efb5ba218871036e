"""Every figure of one city's dashboard."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Count, Q

from assessments.models import LEVEL_NAMES
from assessments.selectors import with_current_level
from cities.models import CityTarget, Enterprise, PilotCity, QualityTier, TargetMetric
from oversight import compliance, dashboard_cache
from oversight.selectors.compliance import compliance_for_cities, rule_for
from projects.models import Project

from ._common import _percent, counted_description, whole_enterprises
from .closest import ClosestRow, _closest
from .history import LevelHistory, level_history
from .trend import FIT_MONTHS, _trend

ONE_PLACE = Decimal("0.1")


def traffic_light(s: compliance.SubIndustryResult, threshold: Decimal) -> str:
    """green compliant; amber within 10 points of the line or at most 2 short; red; grey n/a."""
    if s.compliant is None:
        return "grey"
    if s.compliant:
        return "green"
    near = Fraction(s.at_or_above, s.denominator) >= Fraction(threshold) - Fraction(1, 10)
    return "amber" if near or s.shortfall <= 2 else "red"


@dataclass(frozen=True)
class SubIndustryRow:
    result: compliance.SubIndustryResult
    percent: Decimal | None
    needed: int  # at or above + shortfall: ⌈threshold × denominator⌉
    light: str
    projected: Decimal | None
    verdict: str  # "on_track", "at_risk", "met", "missed", "unknown", "na"
    verdict_text: str


@dataclass(frozen=True)
class TargetRow:
    metric: str
    label: str
    scope: str
    value: Decimal
    actual: Decimal | None
    unit: str
    due_date: dt.date
    met: bool | None


@dataclass(frozen=True)
class CityDashboard:
    as_of: dt.date
    compliance: compliance.CityCompliance
    end_date: dt.date | None
    days_left: int | None
    level_label: str  # "二级" for min_level 2
    counted_text: str  # who the denominator counts, in words (`counted_description`)
    threshold_percent: Decimal
    counted_total: int
    counted_at_or_above: int
    roster_total: int
    roster_at_or_above: int
    rows: tuple[SubIndustryRow, ...]
    targets: tuple[TargetRow, ...]
    giants_below: tuple[tuple[str, str, int | None], ...]  # (uscc, name, level)
    distribution: dict[str, Any]  # chart data
    trend: dict[str, Any]  # chart data
    method_text: str
    closest: tuple[ClosestRow, ...]
    closest_total: int

    @property
    def below_baseline_percent(self) -> Decimal | None:
        share = self.compliance.below_scale.baseline_share
        return None if share is None else share * 100

    @property
    def below_current_percent(self) -> Decimal | None:
        share = self.compliance.below_scale.current_share
        return None if share is None else share * 100

    @property
    def uplift_text(self) -> str:
        """The below-scale uplift in words: "提高 5.00 个百分点", "降低 …", "持平"."""
        pp = self.compliance.below_scale.uplift_pp
        if pp is None:
            return "—"
        if pp > 0:
            return f"提高 {pp} 个百分点"
        if pp < 0:
            return f"降低 {-pp} 个百分点"
        return "持平"

    @property
    def pilot_state(self) -> str:
        if self.end_date is None:
            return "unapproved"
        return "ended" if self.days_left is not None and self.days_left < 0 else "running"


def _distribution(
    city: PilotCity, as_of: dt.date, rule: compliance.Rule, history: LevelHistory
) -> tuple[Any, Counter[str], Counter[str]]:
    """Level counts at baseline and now per sub-industry: now in one GROUP BY over the roster
    (today's levels are the kept ones, an index read), the baselines from `history`, the rest
    never confirmed. Also all-roster totals and counts at the rule's level per sub-industry
    (for the targets)."""
    qs: Any = with_current_level(Enterprise.objects.filter(city=city), as_of=as_of)
    # COUNT(*), not of the id: today an index-only scan of (city, sub-industry, kept level).
    rows = qs.values("sub_industry__code", "current_level").annotate(n=Count("*")).order_by()
    base: dict[str, Counter[int | None]] = defaultdict(Counter)
    now: dict[str, Counter[int | None]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    at: Counter[str] = Counter()
    for row in rows:
        code, n = row["sub_industry__code"], row["n"]
        now[code][row["current_level"]] += n
        totals[code] += n
        if row["current_level"] is not None and row["current_level"] >= rule.min_level:
            at[code] += n
    for code, total in totals.items():
        levels = history.baseline.get(code, Counter())
        base[code].update(levels)
        if total > sum(levels.values()):
            base[code][None] += total - sum(levels.values())
    return (base, now), totals, at


def _distribution_chart(
    subs: Sequence[compliance.SubIndustryResult], base: Any, now: Any
) -> dict[str, Any]:
    levels: list[int | None] = [None, 0, 1, 2, 3, 4]
    categories: list[str] = []
    series: dict[str, list[int]] = {
        ("未评定" if lv is None else LEVEL_NAMES[lv]): [] for lv in levels
    }
    for s in subs:
        for label, counts in (
            ("基线", base.get(s.code, Counter())),
            ("当前", now.get(s.code, Counter())),
        ):
            categories.append(f"{s.name}·{label}")
            for lv in levels:
                series["未评定" if lv is None else LEVEL_NAMES[lv]].append(counts.get(lv, 0))
    return {"categories": categories, "series": [{"name": k, "data": v} for k, v in series.items()]}


def _verdict(
    s: compliance.SubIndustryResult,
    projected: Fraction | None,
    needed: int,
    as_of: dt.date,
    end_date: dt.date | None,
    level_label: str,
) -> tuple[str, str]:
    """The verdict and its text; the forecast is told in whole enterprises ("约 13 家")."""
    if s.compliant is None:
        return "na", "不适用（分母为 0）"
    if end_date is None:
        return "unknown", "试点方案未批复，没有截止日期，无法预测"
    if as_of >= end_date:
        if s.compliant:
            return "met", "试点期已结束：达标"
        return "missed", f"试点期已结束：未达标，差 {s.shortfall} 家"
    assert projected is not None
    basis = (
        f"按近 {FIT_MONTHS} 个月的变化趋势推算，到 {end_date.isoformat()} "
        f"约有 {whole_enterprises(projected)} 家达到{level_label}及以上，需 {needed} 家"
    )
    if projected >= needed:
        return "on_track", f"有望达标：{basis}"
    return "at_risk", f"存在风险：{basis}"


# Targets counted from projects (issue 14): the stage a project must have reached by `as_of`.
PROJECT_TARGETS = {
    TargetMetric.DIAGNOSED_PROJECTS: "diagnosed_on",
    TargetMetric.FILED_PROJECTS: "contract_filed_on",
    TargetMetric.ACCEPTED_PROJECTS: "accepted_on",
    TargetMetric.TRANSFORMED_ENTERPRISES: "accepted_on",
    TargetMetric.SUBSIDIES_PAID: "subsidy_paid_on",
}
SRDI_TIERS = (QualityTier.PROVINCIAL_SRDI, QualityTier.LITTLE_GIANT)
LEVEL_TARGETS = (TargetMetric.LEVEL2_ENTERPRISES, TargetMetric.LEVEL2_SHARE)
ENTERPRISE_TARGETS = (TargetMetric.TRANSFORMED_ENTERPRISES, TargetMetric.SRDI_TRANSFORMED)


def _project_counts_by_city(
    city_ids: Sequence[int], as_of: dt.date
) -> dict[int, dict[str, Counter[str]]]:
    """Per city, per target metric counted from projects: the count per sub-industry code, in
    one query. Every metric is present (all zero for a city without projects).

    A project is one enterprise's (one project per enterprise per pilot), so "transformed
    enterprises" are the accepted projects; `srdi_transformed` those of 专精特新 enterprises
    (provincial or 小巨人)."""
    aggregates = {
        metric.value: Count("id", filter=Q(**{f"{field}__lte": as_of}))
        for metric, field in PROJECT_TARGETS.items()
    }
    aggregates[TargetMetric.SRDI_TRANSFORMED.value] = Count(
        "id",
        filter=Q(accepted_on__lte=as_of, enterprise__quality_tier__in=SRDI_TIERS),
    )
    counts: dict[int, dict[str, Counter[str]]] = {
        city_id: {metric: Counter() for metric in aggregates} for city_id in city_ids
    }
    rows: Any = (
        Project.objects.filter(enterprise__city_id__in=list(city_ids))
        .values("enterprise__city_id", "enterprise__sub_industry__code")
        .annotate(**aggregates)
        .order_by()
    )
    for row in rows:
        code = row["enterprise__sub_industry__code"]
        for metric in aggregates:
            counts[row["enterprise__city_id"]][metric][code] += row[metric]
    return counts


def _roster_counts(
    cities: Sequence[PilotCity], as_of: dt.date
) -> dict[int, tuple[Counter[str], Counter[str]]]:
    """Per city: all-roster totals and counts at its rule's level per sub-industry code (what
    `_distribution` gives the targets), for any number of cities in one GROUP BY."""
    min_level = {c.pk: rule_for(c.batch).min_level for c in cities}
    out: dict[int, tuple[Counter[str], Counter[str]]] = {
        c.pk: (Counter(), Counter()) for c in cities
    }
    qs: Any = with_current_level(
        Enterprise.objects.filter(city_id__in=list(min_level)), as_of=as_of
    )
    for row in qs.values("city_id", "sub_industry__code", "current_level").annotate(n=Count("id")):
        totals, at = out[row["city_id"]]
        totals[row["sub_industry__code"]] += row["n"]
        level = row["current_level"]
        if level is not None and level >= min_level[row["city_id"]]:
            at[row["sub_industry__code"]] += row["n"]
    return out


def _target_rows(
    targets: Iterable[CityTarget],
    totals: Counter[str],
    at: Counter[str],
    from_projects: dict[str, Counter[str]],
) -> tuple[TargetRow, ...]:
    rows: list[TargetRow] = []
    for t in targets:
        code = t.sub_industry.code if t.sub_industry is not None else None
        actual: Decimal | None
        unit = "家"
        if t.metric in LEVEL_TARGETS:
            total = totals[code] if code else sum(totals.values())
            count = at[code] if code else sum(at.values())
            if t.metric == TargetMetric.LEVEL2_ENTERPRISES:
                actual = Decimal(count)
            else:
                actual, unit = _percent(count, total), "%"
        elif t.metric in from_projects:
            per_code = from_projects[t.metric]
            actual = Decimal(per_code[code] if code else sum(per_code.values()))
            unit = "家" if t.metric in ENTERPRISE_TARGETS else "个"
        else:
            actual = None
        met = None if actual is None else actual >= t.value
        rows.append(
            TargetRow(
                metric=t.metric,
                label=t.get_metric_display(),
                scope=t.sub_industry.name if t.sub_industry is not None else "全市",
                value=t.value,
                actual=actual,
                unit=unit,
                due_date=t.due_date,
                met=met,
            )
        )
    return tuple(rows)


def _targets(
    city: PilotCity, as_of: dt.date, totals: Counter[str], at: Counter[str]
) -> tuple[TargetRow, ...]:
    targets = list(
        CityTarget.objects.filter(city=city)
        .select_related("sub_industry")
        .order_by("due_date", "metric")
    )
    from_projects = (
        _project_counts_by_city([city.pk], as_of)[city.pk]
        if any(t.metric not in LEVEL_TARGETS for t in targets)
        else {}
    )
    return _target_rows(targets, totals, at, from_projects)


def cities_targets(
    *, cities: Sequence[PilotCity], as_of: dt.date
) -> dict[int, tuple[TargetRow, ...]]:
    """Per city id: its targets with their actuals as of `as_of`, exactly as its dashboard
    shows them (for the performance scorecard), in at most three queries whatever the number of
    cities (with `batch` selected): the targets, the roster's level counts if a level target is
    among them, the project counts if another one is."""
    ids = [c.pk for c in cities]
    by_city: dict[int, list[CityTarget]] = {pk: [] for pk in ids}
    for t in (
        CityTarget.objects.filter(city_id__in=ids)
        .select_related("sub_industry")
        .order_by("due_date", "metric")
    ):
        by_city[t.city_id].append(t)
    with_levels = [c for c in cities if any(t.metric in LEVEL_TARGETS for t in by_city[c.pk])]
    with_projects = [
        c.pk for c in cities if any(t.metric not in LEVEL_TARGETS for t in by_city[c.pk])
    ]
    roster = _roster_counts(with_levels, as_of) if with_levels else {}
    projects = _project_counts_by_city(with_projects, as_of) if with_projects else {}
    return {
        c.pk: _target_rows(
            by_city[c.pk],
            *roster.get(c.pk, (Counter(), Counter())),
            projects.get(c.pk, {}),
        )
        for c in cities
    }


def city_dashboard(*, city: PilotCity, as_of: dt.date) -> CityDashboard:
    """Every figure of one city's dashboard, computed (see `city_dashboard_cached`)."""
    # The below-scale uplift's baseline comes from the level history, read once for the trend
    # and the distribution too.
    result = compliance_for_cities([city], as_of=as_of, uplift=False)[0]
    rule = result.rule
    history = level_history(city, as_of, rule)
    result = replace(
        result,
        below_scale=replace(
            result.below_scale, baseline_at_or_above=history.below_scale_baseline_at_or_above
        ),
    )
    end_date = city.pilot_end_date
    (base, now), totals, at = _distribution(city, as_of, rule, history)
    trend, projections = _trend(city, as_of, result.sub_industries, end_date, history)
    level_label = LEVEL_NAMES.get(rule.min_level, str(rule.min_level))
    rows = []
    for s in result.sub_industries:
        needed = s.at_or_above + s.shortfall
        proj = projections.get(s.code)
        verdict, text = _verdict(s, proj, needed, as_of, end_date, level_label)
        rows.append(
            SubIndustryRow(
                result=s,
                percent=None if s.ratio is None else s.ratio * 100,
                needed=needed,
                light=traffic_light(s, rule.threshold),
                projected=None
                if proj is None
                else (Decimal(proj.numerator) / Decimal(proj.denominator)).quantize(
                    ONE_PLACE, rounding=ROUND_HALF_UP
                ),
                verdict=verdict,
                verdict_text=text,
            )
        )
    giants = {u: (n, lv) for u, n, lv in _giant_names(city, as_of, result.little_giants.below)}
    closest, closest_total = _closest(city, as_of, rule)
    threshold_percent = (rule.threshold * 100).quantize(Decimal("1"))
    return CityDashboard(
        as_of=as_of,
        compliance=result,
        end_date=end_date,
        days_left=None if end_date is None else (end_date - as_of).days,
        level_label=level_label,
        counted_text=counted_description(rule),
        threshold_percent=threshold_percent,
        counted_total=sum(s.denominator for s in result.sub_industries),
        counted_at_or_above=sum(s.at_or_above for s in result.sub_industries),
        roster_total=sum(totals.values()),
        roster_at_or_above=sum(at.values()),
        rows=tuple(rows),
        targets=_targets(city, as_of, totals, at),
        giants_below=tuple((u, *giants.get(u, ("", None))) for u in result.little_giants.below),
        distribution=_distribution_chart(result.sub_industries, base, now),
        trend=trend,
        method_text=(
            f"趋势线：每月月末，计入分母的企业中已确认{level_label}及以上的企业家数。"
            f"预测：沿最近 {FIT_MONTHS} 个月的变化趋势画一条直线，延伸到试点截止月份，"
            "按整家显示（约多少家），最多不超过计入分母的企业家数。"
            f"需达到家数：计入分母企业家数的 {threshold_percent}%，不足一家的部分按一家计。"
        ),
        closest=tuple(closest),
        closest_total=closest_total,
    )


def _giant_names(
    city: PilotCity, as_of: dt.date, below: Iterable[str]
) -> list[tuple[str, str, int | None]]:
    qs: Any = with_current_level(
        Enterprise.objects.filter(
            city=city, quality_tier=QualityTier.LITTLE_GIANT, uscc__in=list(below)
        ),
        as_of=as_of,
    )
    return list(qs.values_list("uscc", "name", "current_level"))


def city_dashboard_cached(*, city: PilotCity, as_of: dt.date) -> CityDashboard:
    return dashboard_cache.cached_for_city(
        "city", city.pk, as_of, lambda: city_dashboard(city=city, as_of=as_of)
    )
