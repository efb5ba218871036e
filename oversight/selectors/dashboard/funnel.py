"""The project funnel on the dashboards (domain §4.6, issue 13 item 8).

The city dashboard's "改造项目进展" section shows exactly what `manage.py funnel` prints
(`projects.selectors.funnel.city_funnel`, two queries), plus what a person needs around it:
the sub-industries' names, the median days each stage took (one fetch of the stage dates, the
medians computed here), and the two overdue lists (one query each, the longest overdue first,
at most `OVERDUE_LIST_SIZE` rows; the counts are the funnel's). Six queries whatever the
number of projects.

The national dashboard's funnel totals are one GROUP BY over every city's projects
(`funnel_totals`), the same conditional counts as `city_funnel`.

Both are cached per city like compliance (`oversight.dashboard_cache`, kinds "funnel" and
"funnel_totals"), invalidated by the `projects` import (`cities.signals.registry_changed`) and
by `projects.signals.projects_changed`.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from django.db.models import Count, F, Q, Sum

from cities.models import PilotCity, SubIndustry
from oversight import dashboard_cache
from projects import rules, stage_triggers
from projects.models import Project, ProjectCount
from projects.selectors.funnel import (
    acceptance_overdue_cutoff,
    acceptance_overdue_q,
    city_funnel,
    completion_overdue_q,
    district_funnel,
)
from projects.selectors.project_counts import counts_apply, nth_earliest_day, stage_durations
from projects.selectors.projects import NO_DISTRICT

OVERDUE_LIST_SIZE: Final = 20
ONE_PLACE: Final = Decimal("0.1")

# The national table's funnel columns: (key in `FunnelTotals`, stage, column heading).
TOTAL_STAGES: Final[tuple[tuple[str, rules.Stage, str], ...]] = (
    ("applied", rules.Stage.APPLIED, "已申报"),
    ("admitted", rules.Stage.ADMITTED, "已入库"),
    ("contract_filed", rules.Stage.CONTRACT_FILED, "合同已备案"),
    ("completed", rules.Stage.COMPLETED, "已完工"),
    ("accepted", rules.Stage.ACCEPTED, "验收通过"),
    ("subsidy_paid", rules.Stage.SUBSIDY_PAID, "奖补已拨付"),
)


@dataclass(frozen=True)
class StageRow:
    stage: str
    label: str
    reached: int
    median_days: Decimal | None  # from the previous stage's date; None for the first stage
    timed: int  # projects the median is over


def _cells(reached: tuple[int, ...]) -> tuple[tuple[str, int], ...]:
    return tuple(zip((s.value for s in rules.STAGES), reached, strict=True))


@dataclass(frozen=True)
class SubIndustryFunnel:
    pk: int | None
    code: str
    name: str
    reached: tuple[int, ...]  # in stage order

    @property
    def cells(self) -> tuple[tuple[str, int], ...]:
        """(stage, projects that reached it), in stage order."""
        return _cells(self.reached)


@dataclass(frozen=True)
class DistrictFunnel:
    pk: int | None  # None: the enterprises without a district
    code: str | None
    name: str
    reached: tuple[int, ...]  # in stage order
    overdue_acceptance: int
    overdue_completion: int

    @property
    def filter_value(self) -> int | str:
        """The project list's `district` for this row (an id, or "none")."""
        return NO_DISTRICT if self.pk is None else self.pk

    @property
    def cells(self) -> tuple[tuple[str, int], ...]:
        return _cells(self.reached)


@dataclass(frozen=True)
class OverdueRow:
    uscc: str
    name: str
    sub_industry: str
    since: dt.date  # completed_on (acceptance) or planned_completion_on (completion)
    due: dt.date  # the last day that was not yet overdue
    days_overdue: int


@dataclass(frozen=True)
class CityFunnel:
    as_of: dt.date
    data: dict[str, Any]  # the §4.6 JSON, as `city_funnel` returns it
    stages: tuple[StageRow, ...]
    sub_industries: tuple[SubIndustryFunnel, ...]
    districts: tuple[DistrictFunnel, ...]
    overdue_acceptance: tuple[OverdueRow, ...]
    overdue_completion: tuple[OverdueRow, ...]
    acceptance_months: int
    chart: dict[str, Any]

    @property
    def has_projects(self) -> bool:
        return bool(self.data["reached"]["applied"])


def median_days(durations: Sequence[int]) -> Decimal | None:
    """The median of whole days, one decimal (an even count averages the middle two)."""
    if not durations:
        return None
    return Decimal(str(statistics.median(durations))).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def median_of_histogram(counts: Sequence[tuple[int, int]]) -> Decimal | None:
    """`median_days` of the durations that (value, how many) pairs in ascending value stand for,
    without expanding them."""
    total = sum(n for _, n in counts)
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]  # the same index twice when the count is odd
    found: list[int] = []
    seen = 0
    for value, n in counts:
        while middle and middle[0] < seen + n:
            found.append(value)
            middle.pop(0)
        seen += n
    return (Decimal(found[0] + found[1]) / 2).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def _stage_durations(projects: Any, as_of: dt.date) -> list[list[int]]:
    """Per stage, the days from the previous stage's date to its own, over the projects that
    reached it by `as_of` (the first stage has none). One query."""
    fields = rules.STAGE_FIELDS
    durations: list[list[int]] = [[] for _ in fields]
    rows = projects.filter(applied_on__lte=as_of).values_list(*fields)
    for dates in rows.iterator(chunk_size=5000):
        for i in range(1, len(fields)):
            day, before = dates[i], dates[i - 1]
            if day is None or day > as_of:
                break
            if before is not None:
                durations[i].append((day - before).days)
    return durations


def _overdue_rows(
    qs: Any, field: str, due: Callable[[dt.date], dt.date], as_of: dt.date
) -> tuple[OverdueRow, ...]:
    """The longest overdue first (earliest `field`), at most `OVERDUE_LIST_SIZE`. One query."""
    rows = qs.order_by(field, "enterprise__uscc").values_list(
        "enterprise__uscc", "enterprise__name", "enterprise__sub_industry__name", field
    )[:OVERDUE_LIST_SIZE]
    return tuple(
        OverdueRow(uscc, name, sub_name, since, due(since), (as_of - due(since)).days)
        for uscc, name, sub_name, since in rows
    )


def _kept_overdue_rows(
    city: PilotCity, months: int, as_of: dt.date
) -> tuple[tuple[OverdueRow, ...], tuple[OverdueRow, ...]]:
    """Today's two overdue lists, each bounded first by the kept day counters to the dates
    that hold its `OVERDUE_LIST_SIZE` rows (`nth_earliest_day`), then read through the partial
    indexes of the projects awaiting completion and acceptance (no write path leaves a date after
    today, so "by today" is "has the date"). Two queries each; none when nothing is overdue."""
    projects = Project.objects.filter(enterprise__city=city, withdrawn_on__isnull=True)
    cutoff = acceptance_overdue_cutoff(as_of, months)
    found = []
    for kind, upto, field, due, awaiting in (
        (
            stage_triggers.AWAITING_ACCEPTANCE,
            cutoff,
            "completed_on",
            lambda since: rules.add_months(since, months),
            Q(acceptance_applied_on__isnull=True),
        ),
        (
            stage_triggers.AWAITING_COMPLETION,
            as_of - dt.timedelta(days=1),
            "planned_completion_on",
            lambda since: since,
            Q(completed_on__isnull=True),
        ),
    ):
        bound = nth_earliest_day(city.pk, kind, upto, OVERDUE_LIST_SIZE)
        found.append(
            ()
            if bound is None
            else _overdue_rows(
                projects.filter(awaiting, **{f"{field}__lte": bound}), field, due, as_of
            )
        )
    return found[0], found[1]


def city_project_funnel(*, city: PilotCity, as_of: dt.date) -> CityFunnel:
    """The funnel section of one city's dashboard, computed (see `city_project_funnel_cached`)."""
    data = city_funnel(city=city, as_of=as_of)
    subs = {
        code: (pk, name)
        for code, pk, name in SubIndustry.objects.filter(city=city).values_list(
            "code", "pk", "name"
        )
    }
    projects = Project.objects.filter(enterprise__city=city)
    if counts_apply(as_of):  # the kept histogram of the days each stage took
        histogram = stage_durations(city.pk)
        medians = [median_of_histogram(h) for h in histogram]
        timed = [sum(n for _, n in h) for h in histogram]
    else:
        durations = _stage_durations(projects, as_of)
        medians = [median_days(d) for d in durations]
        timed = [len(d) for d in durations]
    stages = tuple(
        StageRow(
            stage=stage.value,
            label=rules.STAGE_LABELS[stage],
            reached=data["reached"][stage.value],
            median_days=medians[i] if i else None,
            timed=timed[i],
        )
        for i, stage in enumerate(rules.STAGES)
    )
    months = city.batch.acceptance_window_months
    if counts_apply(as_of):
        late_acceptance, late_completion = _kept_overdue_rows(city, months, as_of)
    else:
        late_acceptance = _overdue_rows(
            projects.filter(acceptance_overdue_q(as_of, {city.pk: months})),
            "completed_on",
            lambda since: rules.add_months(since, months),
            as_of,
        )
        late_completion = _overdue_rows(
            projects.filter(completion_overdue_q(as_of)),
            "planned_completion_on",
            lambda s: s,
            as_of,
        )
    return CityFunnel(
        as_of=as_of,
        data=data,
        stages=stages,
        sub_industries=tuple(
            SubIndustryFunnel(
                pk=subs.get(row["code"], (None, ""))[0],
                code=row["code"],
                name=subs.get(row["code"], (None, row["code"]))[1],
                reached=tuple(row["reached"][s.value] for s in rules.STAGES),
            )
            for row in data["by_sub_industry"]
        ),
        districts=tuple(
            DistrictFunnel(
                pk=row["id"],
                code=row["code"],
                name=row["name"],
                reached=tuple(row["reached"][s.value] for s in rules.STAGES),
                overdue_acceptance=row["overdue"]["acceptance"],
                overdue_completion=row["overdue"]["completion"],
            )
            for row in district_funnel(city=city, as_of=as_of)
        ),
        overdue_acceptance=late_acceptance,
        overdue_completion=late_completion,
        acceptance_months=months,
        chart={
            "labels": [s.label for s in stages],
            "reached": [s.reached for s in stages],
        },
    )


def city_project_funnel_cached(*, city: PilotCity, as_of: dt.date) -> CityFunnel:
    return dashboard_cache.cached_for_city(
        "funnel", city.pk, as_of, lambda: city_project_funnel(city=city, as_of=as_of)
    )


@dataclass(frozen=True)
class FunnelTotals:
    applied: int = 0
    admitted: int = 0
    contract_filed: int = 0
    completed: int = 0
    accepted: int = 0
    subsidy_paid: int = 0


def _on_or_before(stage: rules.Stage, as_of: dt.date) -> Q:
    return Q(**{f"{rules.date_field(stage)}__lte": as_of})


def funnel_totals(city_ids: Sequence[int], as_of: dt.date) -> dict[int, FunnelTotals]:
    """Each city's funnel totals (`reached` of the national columns) in one GROUP BY; a city
    without projects gets zeros. Today's from the kept counters (`ProjectCount`: a few rows per
    city), another day's from the projects' dates."""
    rows: Any
    if counts_apply(as_of):
        rows = (
            ProjectCount.objects.filter(city_id__in=list(city_ids))
            .values(city=F("city_id"))
            .annotate(**{key: Sum(stage.value) for key, stage, _ in TOTAL_STAGES})
            .order_by()
        )
    else:
        rows = (
            Project.objects.filter(enterprise__city_id__in=list(city_ids))
            .values(city=F("enterprise__city_id"))
            .annotate(
                **{
                    key: Count("pk", filter=_on_or_before(stage, as_of))
                    for key, stage, _ in TOTAL_STAGES
                }
            )
            .order_by()
        )
    found = {
        row["city"]: FunnelTotals(**{key: row[key] for key, _, _ in TOTAL_STAGES}) for row in rows
    }
    return {city_id: found.get(city_id, FunnelTotals()) for city_id in city_ids}


def funnel_totals_cached(city_ids: Sequence[int], as_of: dt.date) -> dict[int, FunnelTotals]:
    return dashboard_cache.cached_for_cities(
        "funnel_totals", list(city_ids), as_of, lambda ids: funnel_totals(ids, as_of)
    )
