"""Reads of the performance scorecard (绩效评价, issue 15 item 4, docs/rules.md §4).

`city_scorecards` scores cities under their batch's scorecard (the version in force on `as_of`
unless one is given) from what the system already knows, each indicator from the reads that
print it elsewhere:

- `compliance_share`: `oversight.selectors.compliance.compliance_for_cities` (four queries);
- `target_attainment`: the city dashboard's targets (`dashboard.city.cities_targets`, the
  dashboard's own code, batched): at most three queries;
- `accepted_vs_plan`: `projects.selectors.funnel.cities_funnel` (two queries) and one query of
  the city-wide accepted-projects / transformed-enterprises targets;
- `funds_share`: `funds.selectors.cities_figures` (two queries);
- `level_uplift`, `provider_satisfaction`: today, one query of the project counters' sums
  (docs/rules.md "Kept project levels"); for an earlier `as_of`, one query over the accepted
  projects, each with its enterprise's on-site baseline level and its after-level as
  `provider_scores` reads them, summed per city in the database.

Only the indicators a scorecard uses are read. Scorecards and their indicators: two queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import F, Prefetch, Sum

from cities.models import CityTarget, PilotCity, TargetMetric
from funds.selectors import cities_figures
from oversight import compliance, scorecard_rules
from oversight.models import Scorecard, ScorecardIndicator
from oversight.selectors.compliance import compliance_for_cities
from oversight.selectors.dashboard.city import cities_targets
from projects.models import Project, ProjectCount
from projects.rules import Stage
from projects.selectors.funnel import cities_funnel
from projects.selectors.project_counts import counts_apply
from projects.selectors.provider_scores import after_level_of, baseline_level
from sme_pilot.errors import DomainError

RAW_PLACE = Decimal("0.0001")
PLAN_METRICS = (TargetMetric.ACCEPTED_PROJECTS, TargetMetric.TRANSFORMED_ENTERPRISES)


def _ratio(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RAW_PLACE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CityScoreRow:
    city: PilotCity
    scorecard: Scorecard
    result: scorecard_rules.Result
    rank: int

    @property
    def score(self) -> Decimal:
        return self.result.score

    @property
    def band(self) -> str:
        return self.result.band

    def breakdown(self) -> list[dict[str, object]]:
        return [p.as_json() for p in self.result.parts]

    def as_json(self) -> dict[str, Any]:
        return {
            "city": self.city.code,
            "name": self.city.name,
            "score": format(self.score, "f"),
            "rank": self.rank,
            "band": self.band,
            "scorecard_version": self.scorecard.version,
            "indicators": self.breakdown(),
        }


def _with_indicators(qs: Any) -> Any:
    return qs.prefetch_related(
        Prefetch("indicators", queryset=ScorecardIndicator.objects.order_by("id"))
    )


def scorecards_in_force(batch_ids: Iterable[int], as_of: dt.date) -> dict[int, Scorecard]:
    """Per batch: the version in force on `as_of` — the latest `valid_from` on or before it
    (the highest version among equals); before every version, the earliest. Batches without a
    scorecard are absent. Two queries."""
    found: dict[int, list[Scorecard]] = defaultdict(list)
    for sc in _with_indicators(
        Scorecard.objects.filter(batch_id__in=list(set(batch_ids))).order_by(
            "-valid_from", "-version"
        )
    ):
        found[sc.batch_id].append(sc)
    chosen = {}
    for batch_id, versions in found.items():
        current = [sc for sc in versions if sc.valid_from <= as_of]
        chosen[batch_id] = current[0] if current else versions[-1]
    return chosen


def compliance_share(result: compliance.CityCompliance) -> Decimal | None:
    """Compliant sub-industries / applicable ones (None: none applicable)."""
    applicable = [s for s in result.sub_industries if s.compliant is not None]
    return _ratio(sum(1 for s in applicable if s.compliant), len(applicable))


def _compliance_share(cities: Sequence[PilotCity], as_of: dt.date) -> dict[int, Decimal | None]:
    results = {r.city: r for r in compliance_for_cities(cities, as_of=as_of, uplift=False)}
    return {city.pk: compliance_share(results[city.code]) for city in cities}


def _target_attainment(cities: Sequence[PilotCity], as_of: dt.date) -> dict[int, Decimal | None]:
    """Targets due by `as_of` met / due; before any is due, all targets set; none: missing."""
    out: dict[int, Decimal | None] = {}
    for city_id, rows in cities_targets(cities=cities, as_of=as_of).items():
        due = [r for r in rows if r.due_date <= as_of] or list(rows)
        judged = [r for r in due if r.met is not None]
        out[city_id] = _ratio(sum(1 for r in judged if r.met), len(judged))
    return out


def _accepted_vs_plan(cities: Sequence[PilotCity], as_of: dt.date) -> dict[int, Decimal | None]:
    """Accepted projects by `as_of` / the city-wide plan: the accepted-projects target with the
    latest due date, else the transformed-enterprises one; no plan: missing."""
    funnels = cities_funnel(cities=cities, as_of=as_of)
    plans: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for t in CityTarget.objects.filter(
        city_id__in=[c.pk for c in cities], sub_industry__isnull=True, metric__in=PLAN_METRICS
    ).order_by("due_date", "id"):
        plans[t.city_id][t.metric] = t.value  # the latest due date wins
    out: dict[int, Decimal | None] = {}
    for city, funnel in zip(cities, funnels, strict=True):
        plan = plans.get(city.pk, {})
        value = plan.get(
            TargetMetric.ACCEPTED_PROJECTS, plan.get(TargetMetric.TRANSFORMED_ENTERPRISES)
        )
        accepted = funnel["reached"][Stage.ACCEPTED.value]
        out[city.pk] = None if value is None else _ratio(accepted, value)
    return out


def _funds_share(cities: Sequence[PilotCity], as_of: dt.date) -> dict[int, Decimal | None]:
    """Central transformation share / the batch's minimum; nothing received: missing."""
    out: dict[int, Decimal | None] = {}
    for figures in cities_figures(cities=cities, as_of=as_of):
        share = figures.transformation_share
        minimum = figures.transformation_min_share
        if share is None:
            out[figures.city.pk] = None
        elif minimum <= 0:
            out[figures.city.pk] = Decimal(1)
        else:
            out[figures.city.pk] = _ratio(share, minimum)
    return out


Means = tuple[dict[int, Decimal | None], dict[int, Decimal | None]]


def _means(cities: Sequence[PilotCity], rows: Iterable[tuple[Any, ...]]) -> Means:
    """The two means per city from (city id, uplift sum, uplifts, rating sum, ratings) rows."""
    uplift: dict[int, Decimal | None] = {c.pk: None for c in cities}
    satisfaction: dict[int, Decimal | None] = {c.pk: None for c in cities}
    for city_id, uplift_sum, uplifts, rating_sum, ratings in rows:
        uplift[city_id] = _ratio(int(uplift_sum or 0), int(uplifts or 0))
        satisfaction[city_id] = _ratio(int(rating_sum or 0), int(ratings or 0))
    return uplift, satisfaction


def _accepted_projects(cities: Sequence[PilotCity], as_of: dt.date) -> Means:
    """Per city, over the projects accepted by `as_of`: the mean uplift (after − on-site
    baseline, both known) and the mean satisfaction (rated ones); none: missing.

    Today: the sums the project counters keep from each project's kept levels (one query over
    the cities' counter rows). An earlier `as_of`, one statement: the database looks up each
    accepted project's baseline and after-level (the subqueries `provider_scores` reads them
    with, one index-only probe each on `assess_onsite_levels_idx`) and sends back one row per
    city, sums and counts (`COUNT` of the difference counts the projects with both levels)."""
    if counts_apply(as_of):
        kept = (
            ProjectCount.objects.filter(city_id__in=[c.pk for c in cities])
            .values("city_id")
            .annotate(
                Sum("uplift_sum"), Sum("uplifts"), Sum("satisfaction_sum"), Sum("satisfactions")
            )
            .values_list(
                "city_id",
                "uplift_sum__sum",
                "uplifts__sum",
                "satisfaction_sum__sum",
                "satisfactions__sum",
            )
            .order_by()
        )
        return _means(cities, kept)
    projects = (
        Project.objects.filter(
            enterprise__city_id__in=[c.pk for c in cities], accepted_on__lte=as_of
        )
        .annotate(
            city=F("enterprise__city_id"),
            level_base=baseline_level(as_of),
            level_after=after_level_of(as_of),
        )
        .values("city", "satisfaction", "level_base", "level_after")
        .order_by()
    )
    inner, params = projects.query.sql_with_params()
    # PostgreSQL would pull the subqueries up into SUM and COUNT, each looked up twice: OFFSET 0
    # keeps the inner query whole (SQLite, the demo's database, has no OFFSET without LIMIT).
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    sql = (
        "SELECT city, SUM(level_after - level_base), COUNT(level_after - level_base), "  # noqa: S608
        f"SUM(satisfaction), COUNT(satisfaction) FROM ({inner}{fence}) AS accepted GROUP BY city"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _means(cities, cursor.fetchall())


def raw_values(
    cities: Sequence[PilotCity],
    as_of: dt.date,
    keys: Iterable[str] = scorecard_rules.INDICATORS,
    *,
    compliance_of: Mapping[int, compliance.CityCompliance] | None = None,
) -> dict[int, dict[str, Decimal | None]]:
    """Per city id: the raw value of each of `keys` (None: missing); every indicator's by
    default. `compliance_of`: the cities' compliance (without uplift) when already read."""
    keys = set(keys)
    raws: dict[int, dict[str, Decimal | None]] = {c.pk: {} for c in cities}
    if not cities:
        return raws
    if compliance_of is not None and "compliance_share" in keys:
        keys.discard("compliance_share")
        for city in cities:
            raws[city.pk]["compliance_share"] = compliance_share(compliance_of[city.pk])
    simple = {
        "compliance_share": _compliance_share,
        "target_attainment": _target_attainment,
        "accepted_vs_plan": _accepted_vs_plan,
        "funds_share": _funds_share,
    }
    for key, read in simple.items():
        if key in keys:
            for city_id, value in read(cities, as_of).items():
                raws[city_id][key] = value
    if keys & {"level_uplift", "provider_satisfaction"}:
        uplift, satisfaction = _accepted_projects(cities, as_of)
        for city in cities:
            raws[city.pk]["level_uplift"] = uplift[city.pk]
            raws[city.pk]["provider_satisfaction"] = satisfaction[city.pk]
    return raws


def city_scorecards(
    cities: Iterable[PilotCity],
    as_of: dt.date,
    scorecard: Scorecard | None = None,
    *,
    raws: Mapping[int, Mapping[str, Decimal | None]] | None = None,
) -> list[CityScoreRow]:
    """Each city's score, rank, band and breakdown as of `as_of`, sorted by rank then code.

    Without `scorecard`, each city is scored under its batch's version in force on `as_of` and
    ranked among the cities scored under the same scorecard (cities of batches without one are
    left out); with one, only the cities of its batch are scored. `raws`: the raw values per
    city id when already read (the dashboards' cache, `raw_values` of every key); else read."""
    cities = [c for c in cities]
    if scorecard is not None:
        cities = [c for c in cities if c.batch_id == scorecard.batch_id]
        by_batch = {scorecard.batch_id: scorecard}
    else:
        by_batch = scorecards_in_force({c.batch_id for c in cities}, as_of)
        cities = [c for c in cities if c.batch_id in by_batch]
    if not cities:
        return []
    if raws is None:
        keys = {i.key for sc in by_batch.values() for i in sc.indicators.all()}
        raws = raw_values(cities, as_of, keys)
    rows: list[CityScoreRow] = []
    for sc in by_batch.values():
        terms = [i.term() for i in sc.indicators.all()]
        try:
            bands = sc.band_terms()
        except ValueError as exc:  # bands written around the admin's check
            raise DomainError(f"评分卡 v{sc.version} 的等级划分有误：{exc}") from exc
        group = sorted((c for c in cities if c.batch_id == sc.batch_id), key=lambda c: c.code)
        results = [scorecard_rules.evaluate(terms, raws[c.pk], bands) for c in group]
        ranks = scorecard_rules.competition_ranks([r.score for r in results])
        rows.extend(
            CityScoreRow(city=c, scorecard=sc, result=r, rank=rank)
            for c, r, rank in zip(group, results, ranks, strict=True)
        )
    rows.sort(key=lambda r: (r.scorecard.batch_id, r.rank, r.city.code))
    return rows
