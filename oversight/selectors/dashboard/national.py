"""The ministry's table of every pilot city, with totals and a per-region summary."""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

from django.urls import get_script_prefix

from cities.models import PilotCity, Region
from oversight import compliance, dashboard_cache
from oversight.selectors.compliance import compliance_for_cities

from ._common import _percent
from .funds import FundsShares, funds_shares_cached
from .funnel import TOTAL_STAGES, FunnelTotals, funnel_totals_cached
from .scores import CityScore, ScorecardInfo, national_scores


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
    funnel: FunnelTotals = field(default_factory=FunnelTotals)
    city_id: int | None = None  # None: the totals row
    funds: FundsShares | None = None  # None: not asked for
    score: CityScore | None = None  # None: not asked for, or the batch has no scorecard
    mean_uplift: Decimal | None = None  # levels, over accepted projects (with the scores)

    @property
    def funnel_counts(self) -> tuple[int, ...]:
        """The funnel totals in the order of `TOTAL_STAGES` (the table's columns)."""
        return tuple(getattr(self.funnel, key) for key, _, _ in TOTAL_STAGES)

    @property
    def funnel_cells(self) -> tuple[tuple[str, int], ...]:
        """(stage, projects that reached it) in the order of `TOTAL_STAGES`."""
        return tuple((stage.value, getattr(self.funnel, key)) for key, stage, _ in TOTAL_STAGES)

    @property
    def share(self) -> Decimal | None:
        return compliance.share(self.at_or_above, self.denominator)

    @property
    def funds_behind(self) -> bool:
        """Central transformation still below its target near (or after) the pilot's end."""
        return self.funds is not None and self.funds.behind(self.days_left)

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
    scorecards: tuple[ScorecardInfo, ...] = ()  # the versions the scores use, by batch


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
        **{key: getattr(row.funnel, key) for key, _, _ in TOTAL_STAGES},
        "funds_transformation": None if row.funds is None else row.funds.transformation_share,
        "funds_other": None if row.funds is None else row.funds.other_share,
        # Ranks are per batch: equal ranks of two batches keep the batch order.
        "rank": None if row.score is None else (row.score.rank, row.batch_year),
        "score": None if row.score is None else row.score.score,
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
    *(key for key, _, _ in TOTAL_STAGES),
    "funds_transformation",
    "funds_other",
    "rank",
    "score",
)


_TEMPLATES: Final = Path(__file__).resolve().parents[2] / "templates" / "oversight"
# The templates the table's rows are rendered from: a release that changes them changes the key.
_ROW_TEMPLATES: Final = hashlib.sha256(
    b"".join(
        (_TEMPLATES / name).read_bytes()
        for name in ("dashboard_national.html", "dashboard/_national_score.html")
    )
).hexdigest()


def rows_digest(dash: NationalDashboard) -> str:
    """A key for the rendered HTML of `dash`'s table rows: a digest of everything they show
    (the rows, in their order, and the day) and of the templates. Two requests showing the same
    figures share the HTML whoever asks (the rows carry no per-user content); any change of a
    figure, of the order or of the templates is another key, so the HTML is never stale."""
    shown = (dash.rows, dash.as_of, get_script_prefix())  # the links carry the site's prefix
    payload = pickle.dumps(shown, protocol=pickle.HIGHEST_PROTOCOL)
    return hashlib.sha256(_ROW_TEMPLATES.encode() + payload).hexdigest()


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
    """Each city's compliance for the national views, which do not show the below-scale uplift:
    computed without its baseline (`below_scale.baseline_at_or_above` is None)."""
    by_id = {c.pk: c for c in cities}

    def compute(ids: list[int]) -> dict[int, compliance.CityCompliance]:
        codes = {by_id[i].code: i for i in ids}
        found = compliance_for_cities([by_id[i] for i in ids], as_of=as_of, uplift=False)
        return {codes[r.city]: r for r in found}

    return dashboard_cache.cached_for_cities("compliance", list(by_id), as_of, compute)


def _funds_total(rows: Sequence[NationalRow]) -> FundsShares:
    """Every city's central money added up: the shares of the whole (no highlight: the cities'
    limits may differ by batch)."""
    shares = [r.funds for r in rows if r.funds is not None]
    return FundsShares(
        received=sum((s.received for s in shares), Decimal(0)),
        transformation=sum((s.transformation for s in shares), Decimal(0)),
        other=sum((s.other for s in shares), Decimal(0)),
    )


def national_dashboard(
    *,
    cities: Iterable[PilotCity],
    as_of: dt.date,
    sort: str,
    with_funnel: bool = False,
    with_funds: bool = False,
    with_scores: bool = False,
) -> NationalDashboard:
    """Every given city's status (`cities` with province and batch selected), and totals.

    `with_funnel`: also each city's project funnel totals (one more query when not cached); the
    ministry's page shows them, the national report does not ask for them (zeros).
    `with_funds`: also each city's central funds shares (two more queries when not cached).
    `with_scores`: also each city's performance score and rank (`scores.national_scores`)."""
    cities = list(cities)
    results = compliance_cached(cities, as_of)
    funnels = (
        funnel_totals_cached([c.pk for c in cities], as_of)
        if with_funnel
        else {c.pk: FunnelTotals() for c in cities}
    )
    funds = funds_shares_cached(cities, as_of) if with_funds else {}
    scores = (
        national_scores(cities, as_of, lambda found: compliance_cached(found, as_of))
        if with_scores
        else None
    )
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
                funnel=funnels[c.pk],
                city_id=c.pk,
                funds=funds.get(c.pk),
                score=None if scores is None else scores.by_city.get(c.pk),
                mean_uplift=None if scores is None else scores.raws[c.pk].get("level_uplift"),
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
        funnel=FunnelTotals(
            **{key: sum(getattr(r.funnel, key) for r in rows) for key, _, _ in TOTAL_STAGES}
        ),
        funds=_funds_total(rows) if with_funds else None,
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
        scorecards=() if scores is None else scores.scorecards,
    )
