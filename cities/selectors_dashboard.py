"""Reads for the city and national dashboards (the "应改尽改" rule, domain.md §1, §3.3).

Compliance itself comes from `selectors_compliance` (so the dashboard shows exactly what
`manage.py compliance` prints); this module adds what a person needs around it: targets, the
monthly trend and its projection, level distributions, and the enterprises closest to the line.
Every read is a constant number of queries whatever the number of enterprises or cities.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery

from assessments import indicators, scoring
from assessments.models import LEVEL_NAMES, Assessment, IndicatorRevision, State
from assessments.selectors import counting_assessments, with_current_level

from . import compliance, dashboard_cache
from .models import (
    CityTarget,
    Enterprise,
    PilotCity,
    QualityTier,
    Region,
    TargetMetric,
    add_months,
)
from .selectors_compliance import compliance_for_cities, counted_q, with_baseline_level

TREND_MONTHS = 36  # at most this many months of history on the line
FIT_MONTHS = 6  # the projection is a least-squares line through the last six monthly points
CLOSEST_KEPT = 200  # ranked enterprises kept for "closest to the line" (20 per page)
ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")


# ---------------------------------------------------------------- pure helpers (no database)


def traffic_light(s: compliance.SubIndustryResult, threshold: Decimal) -> str:
    """green compliant; amber within 10 points of the line or at most 2 short; red; grey n/a."""
    if s.compliant is None:
        return "grey"
    if s.compliant:
        return "green"
    near = Fraction(s.at_or_above, s.denominator) >= Fraction(threshold) - Fraction(1, 10)
    return "amber" if near or s.shortfall <= 2 else "red"


def months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def month_end(first: dt.date) -> dt.date:
    nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def linear_projection(values: Sequence[int], steps_ahead: int) -> Fraction:
    """Least-squares line through the last FIT_MONTHS values, read `steps_ahead` past the last."""
    ys = list(values[-FIT_MONTHS:])
    if not ys:
        return Fraction(0)
    n = len(ys)
    if n == 1:
        return Fraction(ys[0])
    mean_x = Fraction(n - 1, 2)
    mean_y = Fraction(sum(ys), n)
    sxx = sum(((x - mean_x) * (x - mean_x) for x in range(n)), Fraction(0))
    sxy = sum(((x - mean_x) * (y - mean_y) for x, y in enumerate(ys)), Fraction(0))
    slope = sxy / sxx
    return mean_y + slope * (n - 1 + steps_ahead - mean_x)


@dataclass(frozen=True)
class Distance:
    """How far one enterprise is from the rule's level, from its latest scored assessment."""

    level: int | None  # the level of the assessment used (None: never assessed)
    method: str  # "self", "onsite" or "" (never assessed)
    assessed_on: dt.date | None
    points_short: Decimal | None
    scenes_short: int | None
    constraint_scenes_short: int | None
    fewest_changes: int | None

    @property
    def rank(self) -> tuple[int, int, Decimal, int]:
        if self.fewest_changes is not None:
            return (0, self.fewest_changes, self.points_short or Decimal(0), 0)
        if self.level is not None:  # only a level (an imported one): higher levels first
            return (1, 0, Decimal(0), -self.level)
        return (2, 0, Decimal(0), 0)


def distance_to_level(
    result: scoring.Result, indicator: scoring.Indicator, target: int
) -> tuple[Decimal, int, int, int]:
    """(points short, scenes short, constraint scenes short, fewest changes) to reach `target`.

    Like `NextLevel`, but for any level: an enterprise at level 0 is measured against the level 2
    gate directly, not against level 1.
    """
    if result.level >= target:
        return Decimal(0), 0, 0, 0
    gate = next(g for g in indicator.gates if g.level == target)
    points_short = max(Decimal(0), gate.min_score - result.total)
    scenes_short = max(0, gate.min_scenes - result.scenes_at_or_above.get(target, 0))
    constraint_short = max(
        0, gate.min_constraint_scenes - result.constraint_scenes_at_or_above.get(target, 0)
    )
    changes = 0
    if points_short:
        headrooms = sorted(
            (
                q.max_points - result.question_points.get(q.code, Decimal(0))
                for q in indicator.questions
            ),
            reverse=True,
        )
        gained = Decimal(0)
        for headroom in headrooms:
            gained += headroom
            changes += 1
            if gained >= points_short:
                break
    return (
        points_short,
        scenes_short,
        constraint_short,
        changes + max(scenes_short, constraint_short),
    )


def _distance_from_json(
    result: Mapping[str, Any], target: int
) -> tuple[Decimal, int, int, int] | None:
    """From a stored §3.1 result when the answers cannot be re-scored: exact only when its next
    level is the target (or it is already there)."""
    level = result.get("level")
    if isinstance(level, int) and level >= target:
        return Decimal(0), 0, 0, 0
    nxt = result.get("next_level")
    if not isinstance(nxt, Mapping) or nxt.get("level") != target:
        return None
    return (
        Decimal(str(nxt["points_short"])),
        int(nxt["scenes_short"]),
        int(nxt["constraint_scenes_short"]),
        int(nxt["fewest_changes"]),
    )


# ---------------------------------------------------------------- city dashboard


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
class ClosestRow:
    uscc: str
    name: str
    sub_industry: str
    current_level: int | None
    distance: Distance


@dataclass(frozen=True)
class CityDashboard:
    as_of: dt.date
    compliance: compliance.CityCompliance
    end_date: dt.date | None
    days_left: int | None
    level_label: str  # "二级" for min_level 2
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
    def pilot_state(self) -> str:
        if self.end_date is None:
            return "unapproved"
        return "ended" if self.days_left is not None and self.days_left < 0 else "running"


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _distribution(
    city: PilotCity, as_of: dt.date, rule: compliance.Rule
) -> tuple[Any, Counter[str], Counter[str]]:
    """Level counts at baseline and now per sub-industry, in one GROUP BY; also all-roster
    totals and counts at the rule's level per sub-industry (for the targets)."""
    qs: Any = with_baseline_level(
        with_current_level(Enterprise.objects.filter(city=city), as_of=as_of), as_of=as_of
    )
    rows = qs.values("sub_industry__code", "current_level", "baseline_level").annotate(
        n=Count("id")
    )
    base: dict[str, Counter[int | None]] = defaultdict(Counter)
    now: dict[str, Counter[int | None]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    at: Counter[str] = Counter()
    for row in rows:
        code, n = row["sub_industry__code"], row["n"]
        base[code][row["baseline_level"]] += n
        now[code][row["current_level"]] += n
        totals[code] += n
        if row["current_level"] is not None and row["current_level"] >= rule.min_level:
            at[code] += n
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


def _level_history(
    city: PilotCity, as_of: dt.date, rule: compliance.Rule
) -> tuple[dict[int, str], dict[int, list[tuple[dt.date, int]]]]:
    """Denominator enterprises (id → sub-industry code) and their confirmed levels in order."""
    counted = counted_q(rule)
    members = dict(
        Enterprise.objects.filter(city=city).filter(counted).values_list("id", "sub_industry__code")
    )
    rows = (
        counting_assessments(as_of=as_of)
        .filter(enterprise__city=city)
        .filter(counted_q(rule, "enterprise__"))
        .values_list("enterprise_id", "assessed_on", "confirmed_at", "id", "level")
    )
    # Same order as `assessments.selectors.EARLIEST_FIRST`: a missing confirmed_at is earliest.
    ordered = sorted(
        rows,
        key=lambda r: (
            r[1],
            r[2] is not None,
            r[2] or dt.datetime.min.replace(tzinfo=dt.UTC),
            r[3],
        ),
    )
    history: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for enterprise_id, day, _, _, level in ordered:
        if level is not None:  # confirmed assessments always carry a level (a constraint)
            history[enterprise_id].append((day, level))
    return members, history


def _trend(
    city: PilotCity,
    as_of: dt.date,
    rule: compliance.Rule,
    subs: Sequence[compliance.SubIndustryResult],
    end_date: dt.date | None,
) -> tuple[dict[str, Any], dict[str, Fraction | None]]:
    members, history = _level_history(city, as_of, rule)
    first_day = min((h[0][0] for h in history.values() if h), default=as_of)
    if city.plan_approved_on is not None:
        first_day = min(first_day, city.plan_approved_on)
    start = dt.date(first_day.year, first_day.month, 1)
    if months_between(start, as_of) >= TREND_MONTHS:
        start = add_months(dt.date(as_of.year, as_of.month, 1), 1 - TREND_MONTHS)
    months: list[dt.date] = []
    cursor = start
    while cursor <= as_of:
        months.append(cursor)
        cursor = month_end(cursor) + dt.timedelta(days=1)
    ends = [min(month_end(m), as_of) for m in months]
    per_sub: dict[str, list[int]] = {s.code: [0] * len(ends) for s in subs}
    for enterprise_id, code in members.items():
        levels = history.get(enterprise_id, [])
        i = 0
        level: int | None = None
        for k, end in enumerate(ends):
            while i < len(levels) and levels[i][0] <= end:
                level = levels[i][1]
                i += 1
            if level is not None and level >= rule.min_level and code in per_sub:
                per_sub[code][k] += 1
    total = [sum(v[k] for v in per_sub.values()) for k in range(len(ends))]
    projections: dict[str, Fraction | None] = {}
    ahead = months_between(months[-1], end_date) if end_date is not None else 0
    for s in subs:
        if end_date is None or ahead < 0 or not s.denominator:
            projections[s.code] = None
            continue
        raw = linear_projection(per_sub[s.code], ahead)
        projections[s.code] = min(max(raw, Fraction(0)), Fraction(s.denominator))
    labels = [m.strftime("%Y-%m") for m in months]
    projected: list[float | None] = [None] * len(labels)
    if end_date is not None and 0 < ahead <= TREND_MONTHS:
        counted_total = sum(s.denominator for s in subs)
        projected[-1] = total[-1]
        cursor = months[-1]
        for step in range(1, ahead + 1):
            cursor = month_end(cursor) + dt.timedelta(days=1)
            labels.append(cursor.strftime("%Y-%m"))
            value = min(max(linear_projection(total, step), Fraction(0)), Fraction(counted_total))
            projected.append(round(float(value), 1))
    needed = sum(s.at_or_above + s.shortfall for s in subs)
    chart = {
        "labels": labels,
        "actual": total + [None] * (len(labels) - len(total)),
        "projected": projected,
        "needed": [needed] * len(labels),
    }
    return chart, projections


def _verdict(
    s: compliance.SubIndustryResult,
    projected: Fraction | None,
    needed: int,
    as_of: dt.date,
    end_date: dt.date | None,
) -> tuple[str, str]:
    if s.compliant is None:
        return "na", "不适用（分母为 0）"
    if end_date is None:
        return "unknown", "试点方案未批复，没有截止日期，无法预测"
    if as_of >= end_date:
        if s.compliant:
            return "met", "试点期已结束：达标"
        return "missed", f"试点期已结束：未达标，差 {s.shortfall} 家"
    assert projected is not None
    shown = Decimal(projected.numerator) / Decimal(projected.denominator)
    shown = shown.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
    basis = (
        f"按近 {FIT_MONTHS} 个月线性趋势外推，预计到 {end_date.isoformat()} "
        f"达到 {shown} 家，需 {needed} 家"
    )
    if projected >= needed:
        return "on_track", f"有望达标：{basis}"
    return "at_risk", f"存在风险：{basis}"


def _targets(city: PilotCity, totals: Counter[str], at: Counter[str]) -> tuple[TargetRow, ...]:
    rows: list[TargetRow] = []
    for t in (
        CityTarget.objects.filter(city=city)
        .select_related("sub_industry")
        .order_by("due_date", "metric")
    ):
        code = t.sub_industry.code if t.sub_industry is not None else None
        total = totals[code] if code else sum(totals.values())
        count = at[code] if code else sum(at.values())
        actual: Decimal | None
        unit = "家"
        if t.metric == TargetMetric.LEVEL2_ENTERPRISES:
            actual = Decimal(count)
        elif t.metric == TargetMetric.LEVEL2_SHARE:
            actual, unit = _percent(count, total), "%"
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


def _closest(
    city: PilotCity, as_of: dt.date, rule: compliance.Rule
) -> tuple[list[ClosestRow], int]:
    """Denominator enterprises below the rule's level, nearest first (four queries)."""
    latest_scored = Assessment.objects.filter(
        enterprise=OuterRef("pk"),
        state__in=[State.SUBMITTED, State.CONFIRMED],
        level__isnull=False,
        assessed_on__lte=as_of,
    ).order_by("-assessed_on", "-id")
    below: Any = (
        with_current_level(
            Enterprise.objects.filter(city=city).filter(counted_q(rule)), as_of=as_of
        )
        .filter(Q(current_level__lt=rule.min_level) | Q(current_level__isnull=True))
        .annotate(latest_id=Subquery(latest_scored.values("id")[:1]))
        .values("uscc", "name", "sub_industry__name", "current_level", "latest_id")
    )
    below = list(below)
    assessments = {
        a["id"]: a
        for a in Assessment.objects.filter(
            pk__in=[b["latest_id"] for b in below if b["latest_id"]]
        ).values(
            "id",
            "method",
            "level",
            "assessed_on",
            "answers",
            "scenes",
            "data",
            "result",
            "revision_id",
        )
    }
    revisions = {
        r.pk: r
        for r in IndicatorRevision.objects.filter(
            pk__in={a["revision_id"] for a in assessments.values() if a["revision_id"]}
        )
    }
    rows: list[ClosestRow] = []
    for b in below:
        a = assessments.get(b["latest_id"])
        rows.append(
            ClosestRow(
                uscc=b["uscc"],
                name=b["name"],
                sub_industry=b["sub_industry__name"],
                current_level=b["current_level"],
                distance=_distance_of(a, revisions, rule.min_level),
            )
        )
    rows.sort(key=lambda r: (r.distance.rank, r.name, r.uscc))
    return rows[:CLOSEST_KEPT], len(rows)


def _distance_of(
    a: Mapping[str, Any] | None, revisions: Mapping[int, IndicatorRevision], target: int
) -> Distance:
    if a is None:
        return Distance(None, "", None, None, None, None, None)
    found: tuple[Decimal, int, int, int] | None = None
    revision = revisions.get(a["revision_id"]) if a["revision_id"] else None
    if revision is not None and a["answers"]:
        indicator = indicators.indicator_for(revision)
        try:
            result = scoring.score(a["answers"], a["scenes"], a["data"], indicator)
        except ValueError:
            result = None
        if result is not None and any(g.level == target for g in indicator.gates):
            found = distance_to_level(result, indicator, target)
    if found is None and isinstance(a["result"], Mapping):
        found = _distance_from_json(a["result"], target)
    if found is None:
        return Distance(a["level"], a["method"], a["assessed_on"], None, None, None, None)
    return Distance(a["level"], a["method"], a["assessed_on"], *found)


def city_dashboard(*, city: PilotCity, as_of: dt.date) -> CityDashboard:
    """Every figure of one city's dashboard, computed (see `city_dashboard_cached`)."""
    result = compliance_for_cities([city], as_of=as_of)[0]
    rule = result.rule
    end_date = city.pilot_end_date
    (base, now), totals, at = _distribution(city, as_of, rule)
    trend, projections = _trend(city, as_of, rule, result.sub_industries, end_date)
    rows = []
    for s in result.sub_industries:
        needed = s.at_or_above + s.shortfall
        proj = projections.get(s.code)
        verdict, text = _verdict(s, proj, needed, as_of, end_date)
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
    level_label = LEVEL_NAMES.get(rule.min_level, str(rule.min_level))
    return CityDashboard(
        as_of=as_of,
        compliance=result,
        end_date=end_date,
        days_left=None if end_date is None else (end_date - as_of).days,
        level_label=level_label,
        threshold_percent=(rule.threshold * 100).quantize(Decimal("1")),
        counted_total=sum(s.denominator for s in result.sub_industries),
        counted_at_or_above=sum(s.at_or_above for s in result.sub_industries),
        roster_total=sum(totals.values()),
        roster_at_or_above=sum(at.values()),
        rows=tuple(rows),
        targets=_targets(city, totals, at),
        giants_below=tuple((u, *giants.get(u, ("", None))) for u in result.little_giants.below),
        distribution=_distribution_chart(result.sub_industries, base, now),
        trend=trend,
        method_text=(
            f"趋势线为每月末计入分母企业中已确认{level_label}及以上的企业数；"
            f"预测为对最近 {FIT_MONTHS} 个月的月度数据做最小二乘直线拟合，"
            "外推到试点截止月份（不超过分母）。"
            f"需达到家数 = ⌈{result.rule.threshold:.2f} × 分母⌉。"
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


# ---------------------------------------------------------------- national dashboard


@dataclass(frozen=True)
class NationalRow:
    code: str
    name: str
    batch_year: int
    region: str
    region_label: str
    province: str
    city_type: str
    days_left: int | None
    end_date: dt.date | None
    subs_compliant: int
    subs_applicable: int
    giants_at: int
    giants_total: int
    compliant: bool
    denominator: int
    at_or_above: int

    @property
    def share(self) -> Decimal | None:
        return compliance.share(self.at_or_above, self.denominator)

    @property
    def share_percent(self) -> Decimal | None:
        return None if self.share is None else self.share * 100


@dataclass(frozen=True)
class NationalDashboard:
    as_of: dt.date
    rows: list[NationalRow]
    totals: NationalRow
    cities_compliant: int
    by_region: dict[str, Any]


def _sort_key(row: NationalRow, column: str) -> Any:
    return {
        "city": row.code,
        "name": row.name,
        "batch": row.batch_year,
        "region": row.region,
        "province": row.province,
        "type": row.city_type,
        "days": row.days_left,
        "subs": None
        if not row.subs_applicable
        else Fraction(row.subs_compliant, row.subs_applicable),
        "giants": None if not row.giants_total else Fraction(row.giants_at, row.giants_total),
        "status": row.compliant,
        "share": row.share,
    }[column]


SORT_COLUMNS = (
    "city",
    "name",
    "batch",
    "region",
    "province",
    "type",
    "days",
    "subs",
    "giants",
    "status",
    "share",
)


def sort_rows(rows: list[NationalRow], sort: str) -> list[NationalRow]:
    """`column` ascending or `-column` descending; rows without a value go last either way."""
    column = sort.lstrip("-")
    if column not in SORT_COLUMNS:
        column, sort = "city", "city"
    present = [r for r in rows if _sort_key(r, column) is not None]
    absent = [r for r in rows if _sort_key(r, column) is None]
    present.sort(key=lambda r: (_sort_key(r, column), r.code), reverse=sort.startswith("-"))
    return present + sorted(absent, key=lambda r: r.code)


def compliance_cached(
    cities: Sequence[PilotCity], as_of: dt.date
) -> dict[int, compliance.CityCompliance]:
    by_id = {c.pk: c for c in cities}

    def compute(ids: list[int]) -> dict[int, compliance.CityCompliance]:
        codes = {by_id[i].code: i for i in ids}
        return {
            codes[r.city]: r for r in compliance_for_cities([by_id[i] for i in ids], as_of=as_of)
        }

    return dashboard_cache.cached_for_cities("compliance", list(by_id), as_of, compute)


def national_dashboard(
    *, cities: Iterable[PilotCity], as_of: dt.date, sort: str
) -> NationalDashboard:
    """Every given city's status (`cities` with province and batch selected), and totals."""
    cities = list(cities)
    results = compliance_cached(cities, as_of)
    rows: list[NationalRow] = []
    for c in cities:
        r = results[c.pk]
        end = c.pilot_end_date
        rows.append(
            NationalRow(
                code=c.code,
                name=c.name,
                batch_year=c.batch.year,
                region=c.province.region,
                region_label=c.province.get_region_display(),
                province=c.province.name,
                city_type=c.get_city_type_display(),
                days_left=None if end is None else (end - as_of).days,
                end_date=end,
                subs_compliant=r.compliant_count,
                subs_applicable=r.applicable_count,
                giants_at=r.little_giants.at_or_above,
                giants_total=r.little_giants.total,
                compliant=r.city_compliant,
                denominator=sum(s.denominator for s in r.sub_industries),
                at_or_above=sum(s.at_or_above for s in r.sub_industries),
            )
        )
    totals = NationalRow(
        code="",
        name="全国合计",
        batch_year=0,
        region="",
        region_label="",
        province="",
        city_type="",
        days_left=None,
        end_date=None,
        subs_compliant=sum(r.subs_compliant for r in rows),
        subs_applicable=sum(r.subs_applicable for r in rows),
        giants_at=sum(r.giants_at for r in rows),
        giants_total=sum(r.giants_total for r in rows),
        compliant=all(r.compliant for r in rows),
        denominator=sum(r.denominator for r in rows),
        at_or_above=sum(r.at_or_above for r in rows),
    )
    by_region: dict[str, Any] = {"regions": [], "cities": [], "compliant": [], "share": []}
    for value, label in Region.choices:
        in_region = [r for r in rows if r.region == value]
        den = sum(r.denominator for r in in_region)
        pct = _percent(sum(r.at_or_above for r in in_region), den)
        by_region["regions"].append(label)
        by_region["cities"].append(len(in_region))
        by_region["compliant"].append(sum(1 for r in in_region if r.compliant))
        by_region["share"].append(None if pct is None else float(pct))
    return NationalDashboard(
        as_of=as_of,
        rows=sort_rows(rows, sort),
        totals=totals,
        cities_compliant=sum(1 for r in rows if r.compliant),
        by_region=by_region,
    )
