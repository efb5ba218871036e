"""Reads of projects: the funnel of a city (domain §4.6).

The funnel is one GROUP BY over the cities' projects (conditional counts on the stage dates, per
city and sub-industry) and one query for the sub-industries: two queries whatever the number of
projects or cities (`cities_funnel`; `city_funnel` is one city's). As of today the stages and
outcomes come from the kept counters instead (`ProjectCount`, docs/rules.md "Kept project
counters"), the overdue counts from the kept day counters, summed up to today's cutoffs.

The overdue acceptance test of the pure `rules.acceptance_overdue` (calendar months, the day clamped
to the month's end) becomes a date comparison: `acceptance_overdue_cutoff` is the latest completion
date that is overdue. No index of its own: the filter is the enterprise's city, which
`cities_ent_city_subind_idx` (city, sub-industry) answers, and the unique index on
`projects_project.enterprise_id` (one project per enterprise) joins their projects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Count, Q, Sum

from cities.models import District, PilotCity, SubIndustry
from projects import rules, stage_triggers
from projects.models import Project, ProjectCount, ProjectDayCount
from projects.selectors.project_counts import counts_apply, day_value

_OUTCOMES = {
    "rejected": "rejected_on",
    "withdrawn": "withdrawn_on",
    "acceptance_failed": "acceptance_failed_on",
}


def _on_or_before(field: str, as_of: dt.date) -> Q:
    return Q(**{f"{field}__lte": as_of})


def _not_by(field: str, as_of: dt.date) -> Q:
    """No date in `field`, or one after `as_of`."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": as_of})


def completion_overdue_q(as_of: dt.date) -> Q:
    """§4.6: planned completion before `as_of`, not completed and not withdrawn by then."""
    return (
        Q(planned_completion_on__lt=as_of)
        & _not_by("completed_on", as_of)
        & _not_by("withdrawn_on", as_of)
    )


def awaiting_acceptance_q(as_of: dt.date) -> Q:
    """Completed by `as_of`, not applied for acceptance and not withdrawn by then: the projects
    whose acceptance may be overdue (`rules.acceptance_overdue` decides)."""
    return (
        _on_or_before("completed_on", as_of)
        & _not_by("acceptance_applied_on", as_of)
        & _not_by("withdrawn_on", as_of)
    )


def acceptance_overdue_cutoff(as_of: dt.date, months: int) -> dt.date:
    """The latest completion date whose acceptance is overdue on `as_of`: a project completed on
    `c` is overdue (`rules.acceptance_overdue`: `add_months(c, months) < as_of`) exactly when
    `c <= cutoff`, since `add_months` never goes backwards. Lets SQL count the overdue projects
    with the calendar-month clamping of the pure rule."""
    day = rules.add_months(as_of, -months) + dt.timedelta(days=3)
    while rules.add_months(day, months) >= as_of:
        day -= dt.timedelta(days=1)
    return day


def acceptance_overdue_q(as_of: dt.date, months_by_city: Mapping[int, int]) -> Q:
    """§4.6 `overdue.acceptance` for projects of the given cities (city id -> the batch's
    acceptance window in months)."""
    by_months: dict[int, list[int]] = {}
    for city_id, months in months_by_city.items():
        by_months.setdefault(months, []).append(city_id)
    late = Q(pk__in=[])
    for months, city_ids in by_months.items():
        late |= Q(
            enterprise__city_id__in=city_ids,
            completed_on__lte=acceptance_overdue_cutoff(as_of, months),
        )
    return awaiting_acceptance_q(as_of) & late


def _overdue_counts(as_of: dt.date, months_by_city: Mapping[int, int]) -> dict[str, Any]:
    return {
        "overdue_completion": Count("pk", filter=completion_overdue_q(as_of)),
        "overdue_acceptance": Count("pk", filter=acceptance_overdue_q(as_of, months_by_city)),
    }


def _counts(as_of: dt.date, months_by_city: Mapping[int, int]) -> dict[str, Any]:
    counts: dict[str, Any] = {
        stage.value: Count("pk", filter=_on_or_before(rules.date_field(stage), as_of))
        for stage in rules.STAGES
    }
    counts.update(
        {name: Count("pk", filter=_on_or_before(f, as_of)) for name, f in _OUTCOMES.items()}
    )
    counts.update(_overdue_counts(as_of, months_by_city))
    return counts


_COUNTED_NAMES: tuple[str, ...] = (*(stage.value for stage in rules.STAGES), *_OUTCOMES)


def _kept_overdue_q(as_of: dt.date, months_by_city: Mapping[int, int]) -> Q:
    """The day counters that are overdue on `as_of` (the same rules as `completion_overdue_q`
    and `acceptance_overdue_q`, on the kept dates): awaiting completion planned before
    `as_of`, awaiting acceptance completed on or before the batch's cutoff."""
    by_months: dict[int, list[int]] = {}
    for city_id, months in months_by_city.items():
        by_months.setdefault(months, []).append(city_id)
    late = Q(kind=stage_triggers.AWAITING_COMPLETION, value__lt=day_value(as_of))
    for months, city_ids in by_months.items():
        cutoff = day_value(acceptance_overdue_cutoff(as_of, months))
        late |= Q(kind=stage_triggers.AWAITING_ACCEPTANCE, city_id__in=city_ids, value__lte=cutoff)
    return late


def _grouped(
    by: tuple[str, ...], city_ids: list[int], as_of: dt.date, months_by_city: Mapping[int, int]
) -> dict[tuple[Any, ...], dict[str, int]]:
    """Every counter of the cities' projects per value of the enterprise fields `by` (e.g.
    ("city_id", "sub_industry_id")): two queries when `as_of` is today (the stages and outcomes
    from the kept `ProjectCount`, the overdue counts from the kept `ProjectDayCount`, summed up
    to today's cutoffs), else one GROUP BY over the projects' dates."""
    found: dict[tuple[Any, ...], dict[str, int]] = {}
    if not counts_apply(as_of):
        rows = (
            Project.objects.filter(enterprise__city_id__in=city_ids)
            .values(*(f"enterprise__{f}" for f in by))
            .annotate(**_counts(as_of, months_by_city))
            .order_by()
        )
        for row in rows:
            found[tuple(row.pop(f"enterprise__{f}") for f in by)] = row
        return found

    def key_of(row: dict[str, Any]) -> tuple[Any, ...]:
        key = tuple(row.pop(f) for f in by)
        if "district_id" in by:  # the counters' "no district" is 0, the roster's NULL
            at = by.index("district_id")
            key = (*key[:at], key[at] or None, *key[at + 1 :])
        return key

    kept = (
        ProjectCount.objects.filter(city_id__in=city_ids)
        .values(*by)
        .annotate(**{name: Sum(name) for name in _COUNTED_NAMES})
        .order_by()
    )
    for row in kept:
        key = key_of(row)
        if any(row.values()):  # else a key whose projects all left (zeros until a rebuild)
            found[key] = {**row, "overdue_completion": 0, "overdue_acceptance": 0}
    late = (
        ProjectDayCount.objects.filter(city_id__in=city_ids)
        .filter(_kept_overdue_q(as_of, months_by_city))
        .values(*by)
        .annotate(
            overdue_completion=Sum("n", filter=Q(kind=stage_triggers.AWAITING_COMPLETION)),
            overdue_acceptance=Sum("n", filter=Q(kind=stage_triggers.AWAITING_ACCEPTANCE)),
        )
        .order_by()
    )
    for row in late:
        key = key_of(row)
        counts = {name: n or 0 for name, n in row.items()}
        if any(counts.values()):
            found.setdefault(key, dict.fromkeys(_COUNTED_NAMES, 0)).update(counts)
    return found


def cities_funnel(*, cities: Sequence[PilotCity], as_of: dt.date) -> list[dict[str, Any]]:
    """The §4.6 funnel JSON of each of `cities` (with `batch` selected, or it is read), in their
    order. Two queries whatever the number of cities and projects (three for today): the
    counters per (city, sub-industry) (`_grouped`; the overdue acceptance among them through
    `acceptance_overdue_cutoff`), and the cities' sub-industries."""
    if not cities:
        return []
    months_by_city = {c.pk: c.batch.acceptance_window_months for c in cities}
    names = (*_COUNTED_NAMES, "overdue_completion", "overdue_acceptance")
    grouped = _grouped(("city_id", "sub_industry_id"), list(months_by_city), as_of, months_by_city)
    subs: dict[int, list[dict[str, Any]]] = {}
    for found in (
        SubIndustry.objects.filter(city_id__in=list(months_by_city))
        .order_by("code")
        .values("id", "city_id", "code")
    ):
        subs.setdefault(found["city_id"], []).append(dict(found))
    stages = [stage.value for stage in rules.STAGES]
    result = []
    for city in cities:
        by_sub_industry = []
        totals: dict[str, int] = dict.fromkeys(names, 0)
        for sub in subs.get(city.pk, []):
            row: dict[str, int] = grouped.get((city.pk, sub["id"]), {})
            for name in totals:
                totals[name] += row.get(name, 0)
            by_sub_industry.append(
                {"code": sub["code"], "reached": {s: row.get(s, 0) for s in stages}}
            )
        result.append(
            {
                "city": city.code,
                "as_of": as_of.isoformat(),
                "reached": {s: totals[s] for s in stages},
                "rejected": totals["rejected"],
                "withdrawn": totals["withdrawn"],
                "acceptance_failed": totals["acceptance_failed"],
                "overdue": {
                    "acceptance": totals["overdue_acceptance"],
                    "completion": totals["overdue_completion"],
                },
                "by_sub_industry": by_sub_industry,
            }
        )
    return result


def city_funnel(*, city: PilotCity, as_of: dt.date) -> dict[str, Any]:
    """The §4.6 funnel JSON of `city` as of `as_of` (a dict ready for json.dumps)."""
    return cities_funnel(cities=[city], as_of=as_of)[0]


def district_funnel(*, city: PilotCity, as_of: dt.date) -> list[dict[str, Any]]:
    """Per district of `city`: the stages reached and the overdue counts as of `as_of`, as in
    `city_funnel` (every district of the city, by code, zeros included; the projects of
    enterprises without a district, if any, last, as `code` None). Two queries (three for
    today: `_grouped`)."""
    months = {city.pk: city.batch.acceptance_window_months}
    grouped: dict[int | None, dict[str, int]] = {
        key[0]: row for key, row in _grouped(("district_id",), [city.pk], as_of, months).items()
    }
    stages = [stage.value for stage in rules.STAGES]
    rows: list[dict[str, Any]] = []
    districts = list(
        District.objects.filter(city=city).order_by("code").values_list("id", "code", "name")
    )
    for district_id, code, name in [*districts, (None, None, "未划分区县")]:
        row = grouped.get(district_id)
        if row is None and district_id is None:
            continue  # every enterprise with a project has a district
        found: dict[str, Any] = row or {}
        rows.append(
            {
                "id": district_id,
                "code": code,
                "name": name,
                "reached": {s: found.get(s, 0) for s in stages},
                "overdue": {
                    "acceptance": found.get("overdue_acceptance", 0),
                    "completion": found.get("overdue_completion", 0),
                },
            }
        )
    return rows
