"""Counts for the "应改尽改" rule from SQL aggregation, fed to the pure `cities.compliance`.

A constant number of queries whatever the number of enterprises or cities: per-enterprise levels
are correlated subqueries inside one GROUP BY, never a query per enterprise.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from assessments.selectors import counting_assessments, with_current_level

from . import compliance
from .models import Enterprise, PilotBatch, PilotCity, QualityTier, SubIndustry


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
        .order_by("assessed_on", "confirmed_at", "id")
    )
    return qs.annotate(baseline_level=Subquery(earliest.values("level")[:1]))


def _levels(cities: Iterable[int], as_of: dt.date) -> Any:
    """Enterprises annotated with `current_level` and `baseline_level` (typed Any: the stubs
    cannot follow annotations into `values()` with computed aggregate names)."""
    return with_baseline_level(
        with_current_level(Enterprise.objects.filter(city_id__in=cities), as_of=as_of),
        as_of=as_of,
    )


def compliance_for_cities(
    cities: Iterable[PilotCity], *, as_of: dt.date | None = None
) -> list[compliance.CityCompliance]:
    """Every given city's compliance, in four queries whatever their size."""
    as_of = as_of or timezone.localdate()
    cities = list(cities)
    by_id = {c.pk: c for c in cities}
    rules = {c.pk: rule_for(c.batch) for c in cities}
    ids = list(by_id)

    # Denominators and counts per (city, sub-industry), one GROUP BY. Rules differ per batch, so
    # count each distinct rule's denominator in its own filtered aggregate.
    distinct_rules = sorted(set(rules.values()), key=repr)
    aggregates = {}
    for i, rule in enumerate(distinct_rules):
        counted = counted_q(rule)
        aggregates[f"den_{i}"] = Count("id", filter=counted)
        aggregates[f"at_{i}"] = Count("id", filter=counted & Q(current_level__gte=rule.min_level))
    rows = _levels(ids, as_of).values("city_id", "sub_industry_id").annotate(**aggregates)
    counts: dict[tuple[int, int], tuple[int, int]] = {}
    for row in rows:
        i = distinct_rules.index(rules[row["city_id"]])
        counts[(row["city_id"], row["sub_industry_id"])] = (row[f"den_{i}"], row[f"at_{i}"])

    subs: dict[int, list[compliance.SubIndustryCounts]] = defaultdict(list)
    for sub in SubIndustry.objects.filter(city_id__in=ids).order_by("code"):
        den, at = counts.get((sub.city_id, sub.pk), (0, 0))
        subs[sub.city_id].append(compliance.SubIndustryCounts(sub.code, sub.name, den, at))

    giants: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    for city_id, uscc, level in (
        _levels(ids, as_of)
        .filter(quality_tier=QualityTier.LITTLE_GIANT)
        .values_list("city_id", "uscc", "current_level")
    ):
        giants[city_id].append((uscc, level))

    below: dict[int, compliance.BelowScale] = {}
    below_aggregates = {}
    for i, rule in enumerate(distinct_rules):
        below_aggregates[f"base_{i}"] = Count("id", filter=Q(baseline_level__gte=rule.min_level))
        below_aggregates[f"cur_{i}"] = Count("id", filter=Q(current_level__gte=rule.min_level))
    for row in (
        _levels(ids, as_of)
        .filter(above_scale=False, current_level__isnull=False)
        .values("city_id")
        .annotate(assessed=Count("id"), **below_aggregates)
    ):
        i = distinct_rules.index(rules[row["city_id"]])
        below[row["city_id"]] = compliance.BelowScale(
            row["assessed"], row[f"base_{i}"], row[f"cur_{i}"]
        )

    return [
        compliance.evaluate_city(
            city=c.code,
            as_of=as_of,
            rule=rules[c.pk],
            sub_industries=subs.get(c.pk, []),
            little_giant_levels=giants.get(c.pk, []),
            below_scale=below.get(c.pk, compliance.BelowScale(0, 0, 0)),
        )
        for c in sorted(cities, key=lambda c: c.code)
    ]


def city_compliance(*, city: PilotCity, as_of: dt.date | None = None) -> compliance.CityCompliance:
    return compliance_for_cities([city], as_of=as_of)[0]


class AsOfError(ValueError):
    """A malformed or future `as_of`; the message says which, in Chinese."""


def parse_as_of(text: str | None) -> dt.date:
    """`YYYY-MM-DD`, not after today (Asia/Shanghai); empty means today."""
    today = timezone.localdate()
    if text is None or not text.strip():
        return today
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise AsOfError(f"as_of 应为 YYYY-MM-DD 格式的日期，收到“{text}”") from None
    if len(text.strip()) != 10:
        raise AsOfError(f"as_of 应为 YYYY-MM-DD 格式的日期，收到“{text}”")
    if day > today:
        raise AsOfError(f"as_of 不能晚于今天（{today.isoformat()}）")
    return day
