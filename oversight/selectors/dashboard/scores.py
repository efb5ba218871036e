"""The performance scorecard (绩效评价) on the national table and in the national report.

Each city is scored under its batch's scorecard version in force on `as_of` and ranked among
*every* city of its batch (`oversight.selectors.scorecard.city_scorecards`), whatever the table
shows: a filtered table, or a province official's, prints the same rank as the ministry's
unfiltered table and the national report.

The slow part, each city's raw indicator values (compliance, targets, funnel, funds, accepted
projects' uplift and satisfaction), is cached per city like the other columns (kind
"scorecard_raws", `oversight.dashboard_cache`) and so invalidated by the same events: levels,
the registry, projects, funds, targets and the batch. The scorecards themselves are read on every
call (two queries), so a new version or new weights show at once; the arithmetic is pure.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from cities.models import PilotCity
from oversight import dashboard_cache, scorecard_rules
from oversight.compliance import CityCompliance

# The module, not its names: `scorecard` imports this package (the city dashboard's targets).
from oversight.selectors import scorecard as scorecard_selectors

Raws = dict[str, Decimal | None]


@dataclass(frozen=True)
class ScorecardInfo:
    """The scorecard version a batch was scored under, shown with the scores."""

    batch_year: int
    version: int
    label: str
    valid_from: dt.date
    terms: tuple[scorecard_rules.Term, ...]
    bands: tuple[scorecard_rules.Band, ...]


@dataclass(frozen=True)
class CityScore:
    score: Decimal
    rank: int
    ranked: int  # the cities ranked with it (its batch)
    band: str
    scorecard: ScorecardInfo
    parts: tuple[scorecard_rules.Part, ...]


@dataclass(frozen=True)
class NationalScores:
    by_city: dict[int, CityScore]  # cities of batches without a scorecard are absent
    raws: dict[int, Raws]  # every given city's raw values (the report's mean uplift)
    scorecards: tuple[ScorecardInfo, ...]  # by batch year


ComplianceOf = Callable[[Sequence[PilotCity]], Mapping[int, CityCompliance]]


def scorecard_raws_cached(
    cities: Sequence[PilotCity], as_of: dt.date, compliance_of: ComplianceOf
) -> dict[int, Raws]:
    """Every indicator's raw value per city id (`cities` with their batch); the compliance
    share from `compliance_of` (the dashboards' cached compliance, without uplift)."""
    by_id = {c.pk: c for c in cities}

    def compute(ids: list[int]) -> dict[int, Raws]:
        missing = [by_id[i] for i in ids]
        return scorecard_selectors.raw_values(missing, as_of, compliance_of=compliance_of(missing))

    return dashboard_cache.cached_for_cities("scorecard_raws", list(by_id), as_of, compute)


def national_scores(
    cities: Sequence[PilotCity], as_of: dt.date, compliance_of: ComplianceOf
) -> NationalScores:
    """The scores of `cities` (with their batch), each ranked among all cities of its batch.
    A constant number of queries: the batches' cities, the scorecards, and the raw values of
    the cities not cached."""
    if not cities:
        return NationalScores({}, {}, ())
    peers = list(
        PilotCity.objects.filter(batch_id__in={c.batch_id for c in cities})
        .select_related("batch")
        .order_by("code")
    )
    raws = scorecard_raws_cached(peers, as_of, compliance_of)
    rows = scorecard_selectors.city_scorecards(peers, as_of, raws=raws)
    ranked = Counter(r.scorecard.pk for r in rows)
    infos = {
        sc.pk: ScorecardInfo(
            batch_year=r.city.batch.year,
            version=sc.version,
            label=sc.label,
            valid_from=sc.valid_from,
            terms=tuple(i.term() for i in sc.indicators.all()),
            bands=sc.band_terms(),
        )
        for r in rows
        for sc in (r.scorecard,)
    }
    wanted = {c.pk for c in cities}
    by_city = {
        r.city.pk: CityScore(
            score=r.score,
            rank=r.rank,
            ranked=ranked[r.scorecard.pk],
            band=r.band,
            scorecard=infos[r.scorecard.pk],
            parts=r.result.parts,
        )
        for r in rows
        if r.city.pk in wanted
    }
    shown = sorted({s.scorecard for s in by_city.values()}, key=lambda i: (i.batch_year, i.version))
    return NationalScores(by_city, {c.pk: raws[c.pk] for c in cities}, tuple(shown))
