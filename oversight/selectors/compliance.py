"""Counts for the "应改尽改" rule from SQL aggregation, fed to the pure `cities.compliance`.

A constant number of queries whatever the number of enterprises or cities: per-enterprise levels
are correlated subqueries inside one GROUP BY, never a query per enterprise.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import (
    Aggregate,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.models import Assessment
from assessments.selectors import (
    EARLIEST_FIRST,
    counting_assessments,
    is_today,
    with_current_level,
)
from cities.models import (
    Enterprise,
    PilotBatch,
    PilotCity,
    QualityTier,
    RosterCount,
    SubIndustry,
)
from oversight import compliance

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def rule_for(batch: PilotBatch) -> compliance.Rule:
    return compliance.Rule(
        threshold=batch.threshold,
        min_level=batch.min_level,
        counted_tiers=frozenset(batch.counted_tiers),
        count_above_scale=batch.count_above_scale,
    )


def counted_q(rule: compliance.Rule, prefix: str = "") -> Q:
    """Enterprises in the denominator: above-scale, or of a counted quality tier."""
    q = Q(**{f"{prefix}quality_tier__in": sorted(rule.counted_tiers)})
    if rule.count_above_scale:
        q |= Q(**{f"{prefix}above_scale": True})
    return q


def with_baseline_level(
    qs: QuerySet[Enterprise], *, as_of: dt.date | None = None
) -> QuerySet[Enterprise]:
    """Annotate `baseline_level`: the earliest confirmed assessment up to `as_of`."""
    earliest = (
        counting_assessments(as_of=as_of)
        .filter(enterprise=OuterRef("pk"))
        .order_by(*EARLIEST_FIRST)
    )
    return qs.annotate(baseline_level=Subquery(earliest.values("level")[:1]))


def _confirmed(as_of: dt.date) -> QuerySet[Assessment]:
    return counting_assessments(as_of=as_of)


def _edge_rows(as_of: dt.date, *, latest: bool) -> QuerySet[Assessment]:
    """Each enterprise's latest (or earliest) confirmed assessment up to `as_of`, as an anti-join:
    the rows for which no other confirmed assessment of the same enterprise comes after (before)
    them in (assessed_on, confirmed_at, id) order. Set-based, so the database can hash-join it
    instead of running one correlated lookup per enterprise."""
    if latest:
        beyond = (
            Q(assessed_on__gt=OuterRef("assessed_on"))
            | Q(assessed_on=OuterRef("assessed_on"), confirmed_key__gt=OuterRef("confirmed_key"))
            | Q(
                assessed_on=OuterRef("assessed_on"),
                confirmed_key=OuterRef("confirmed_key"),
                id__gt=OuterRef("id"),
            )
        )
    else:
        beyond = (
            Q(assessed_on__lt=OuterRef("assessed_on"))
            | Q(assessed_on=OuterRef("assessed_on"), confirmed_key__lt=OuterRef("confirmed_key"))
            | Q(
                assessed_on=OuterRef("assessed_on"),
                confirmed_key=OuterRef("confirmed_key"),
                id__lt=OuterRef("id"),
            )
        )
    others = (
        _with_key(_confirmed(as_of)).filter(enterprise_id=OuterRef("enterprise_id")).filter(beyond)
    )
    return _with_key(_confirmed(as_of)).filter(~Exists(others))


def _with_key(qs: QuerySet[Assessment]) -> QuerySet[Assessment]:
    # Imported levels may lack a confirmation time; order them before confirmed-at ones.
    return qs.annotate(confirmed_key=Coalesce("confirmed_at", Value(EPOCH)))


def _rows(condition: Q) -> Aggregate:
    """Enterprise rows meeting `condition`, counted."""
    return Count("id", filter=condition)


def _counted(condition: Q) -> Any:
    """Enterprises in the roster counters' keys meeting `condition`, summed (0 when none)."""
    return Coalesce(Sum("n", filter=condition), 0)


def _level_counts(
    rules: list[compliance.Rule],
    *,
    level: str,
    prefix: str = "enterprise__",
    count: Any = _rows,
) -> dict[str, Any]:
    """Per distinct rule: counted enterprises at its minimum level (`at_i`) and enterprises at
    its minimum level whatever their scope (`hit_i`), `level` naming the level column and `count`
    making the aggregate of a condition."""
    return {
        **{
            f"at_{i}": count(counted_q(r, prefix) & Q(**{f"{level}__gte": r.min_level}))
            for i, r in enumerate(rules)
        },
        **{f"hit_{i}": count(Q(**{f"{level}__gte": r.min_level})) for i, r in enumerate(rules)},
    }


def compliance_for_cities(
    cities: Iterable[PilotCity], *, as_of: dt.date | None = None, uplift: bool = True
) -> list[compliance.CityCompliance]:
    """Every given city's compliance, in five set-based queries whatever their size (four for
    today: denominators and levels are one GROUP BY over the roster counters, and the little
    giants' levels are read from their rows' kept levels).

    `uplift=False` skips the last, the below-scale baseline (an anti-join over every confirmed
    assessment), for views that do not show the uplift: `below_scale.baseline_at_or_above` is
    then None."""
    as_of = as_of or timezone.localdate()
    cities = list(cities)
    rules = {c.pk: rule_for(c.batch) for c in cities}
    ids = [c.pk for c in cities]
    # Rules differ per batch: count each distinct rule in its own filtered aggregate.
    distinct_rules = sorted(set(rules.values()), key=repr)

    def pick(row: dict[str, Any], name: str) -> int:
        return int(row[f"{name}_{distinct_rules.index(rules[row['city_id']])}"])

    dens: dict[tuple[int, int], int] = defaultdict(int)
    ats: dict[tuple[int, int], int] = defaultdict(int)
    below_now: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    today = is_today(as_of)
    if today:
        # 1-2. Today: denominators, counted enterprises at the minimum level per sub-industry and
        #      below-scale enterprises (assessed, at minimum) from the roster counters (kept by
        #      triggers in the writing transaction; a kept level of -1 is "never confirmed"): one
        #      GROUP BY over a few rows per city and sub-industry, not over the roster.
        latest: Any = RosterCount.objects.filter(city_id__in=ids).values(
            "city_id", "sub_industry_id", "above_scale"
        )
        latest_rows: Any = latest.annotate(
            assessed=_counted(Q(kept_level__gte=0)),
            **{f"den_{i}": _counted(counted_q(r)) for i, r in enumerate(distinct_rules)},
            **_level_counts(distinct_rules, level="kept_level", prefix="", count=_counted),
        )
    else:
        # 1. Denominators per (city, sub-industry).
        den_rows: Any = (
            Enterprise.objects.filter(city_id__in=ids)
            .values("city_id", "sub_industry_id")
            .annotate(
                **{
                    f"den_{i}": Count("id", filter=counted_q(r))
                    for i, r in enumerate(distinct_rules)
                }
            )
        )
        for row in den_rows:
            dens[(row["city_id"], row["sub_industry_id"])] = pick(row, "den")
        # 2. From each enterprise's latest confirmed level up to `as_of`, in one GROUP BY.
        latest = _edge_rows(as_of, latest=True).filter(enterprise__city_id__in=ids)
        latest_rows = latest.values(
            city_id=F("enterprise__city_id"),
            sub_industry_id=F("enterprise__sub_industry_id"),
            above_scale=F("enterprise__above_scale"),
        ).annotate(assessed=Count("id"), **_level_counts(distinct_rules, level="level"))
    for row in latest_rows:
        key = (row["city_id"], row["sub_industry_id"])
        if today:
            dens[key] += pick(row, "den")
        ats[key] += pick(row, "at")
        if not row["above_scale"]:
            below_now[row["city_id"]][0] += int(row["assessed"])
            below_now[row["city_id"]][1] += pick(row, "hit")

    subs: dict[int, list[compliance.SubIndustryCounts]] = defaultdict(list)
    for sub in SubIndustry.objects.filter(city_id__in=ids).order_by("code"):
        key = (sub.city_id, sub.pk)
        subs[sub.city_id].append(
            compliance.SubIndustryCounts(sub.code, sub.name, dens.get(key, 0), ats.get(key, 0))
        )

    # 3. Little giants (a few per cent of the roster) with their latest confirmed level (None:
    #    never confirmed): a correlated lookup per giant beats another anti-join over everything.
    giants: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    giant_qs: Any = with_current_level(
        Enterprise.objects.filter(city_id__in=ids, quality_tier=QualityTier.LITTLE_GIANT),
        as_of=as_of,
    )
    giant_rows = giant_qs.values_list("city_id", "uscc", "current_level")
    for city_id, uscc, level in giant_rows:
        giants[city_id].append((uscc, level))

    # 4. Below-scale enterprises' earliest confirmed level, per city (the uplift's baseline).
    base_rows: Any = (
        _edge_rows(as_of, latest=False)
        .filter(enterprise__above_scale=False, enterprise__city_id__in=ids)
        .values(city_id=F("enterprise__city_id"))
        .annotate(
            **{
                f"hit_{i}": Count("id", filter=Q(level__gte=r.min_level))
                for i, r in enumerate(distinct_rules)
            }
        )
    )
    base_hits = {row["city_id"]: pick(row, "hit") for row in base_rows} if uplift else {}
    below = {
        city_id: compliance.BelowScale(
            assessed, base_hits.get(city_id, 0) if uplift else None, hits
        )
        for city_id, (assessed, hits) in below_now.items()
    }

    return [
        compliance.evaluate_city(
            city=c.code,
            as_of=as_of,
            rule=rules[c.pk],
            sub_industries=subs.get(c.pk, []),
            little_giant_levels=giants.get(c.pk, []),
            below_scale=below.get(c.pk, compliance.BelowScale(0, 0 if uplift else None, 0)),
        )
        for c in sorted(cities, key=lambda c: c.code)
    ]


def city_compliance(*, city: PilotCity, as_of: dt.date | None = None) -> compliance.CityCompliance:
    return compliance_for_cities([city], as_of=as_of)[0]
