"""Reads of projects: the funnel of a city (domain §4.6).

The funnel is one GROUP BY over the city's projects (conditional counts on the stage dates, per
sub-industry), one query for the sub-industries and one for the few completed projects not yet
applied for acceptance, whose overdue test (calendar months, day clamped to the month's end) is
the pure `rules.acceptance_overdue`. Three queries whatever the number of projects.

No index of its own: the filter is the enterprise's city, which `cities_ent_city_subind_idx`
(city, sub-industry) answers, and the unique index on `projects_project.enterprise_id` (one
project per enterprise) joins their projects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Q

from cities.models import PilotCity, SubIndustry
from projects import rules
from projects.models import Project

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


def _dates(row: Mapping[str, Any]) -> rules.Dates:
    return rules.Dates(
        completed_on=row["completed_on"],
        acceptance_applied_on=row["acceptance_applied_on"],
        withdrawn_on=row["withdrawn_on"],
    )


def city_funnel(*, city: PilotCity, as_of: dt.date) -> dict[str, Any]:
    """The §4.6 funnel JSON of `city` as of `as_of` (a dict ready for json.dumps)."""
    stages = [stage.value for stage in rules.STAGES]
    counts: dict[str, Any] = {
        stage.value: Count("pk", filter=_on_or_before(rules.date_field(stage), as_of))
        for stage in rules.STAGES
    }
    counts.update(
        {name: Count("pk", filter=_on_or_before(f, as_of)) for name, f in _OUTCOMES.items()}
    )
    counts["overdue_completion"] = Count("pk", filter=completion_overdue_q(as_of))
    projects = Project.objects.filter(enterprise__city=city)
    grouped: dict[int, dict[str, Any]] = {
        row["enterprise__sub_industry_id"]: dict(row)
        for row in projects.values("enterprise__sub_industry_id").annotate(**counts).order_by()
    }
    by_sub_industry = []
    totals: dict[str, int] = dict.fromkeys(counts, 0)
    for sub in SubIndustry.objects.filter(city=city).order_by("code").values("id", "code"):
        row: dict[str, Any] = grouped.get(sub["id"], {})
        for name in totals:
            totals[name] += row.get(name, 0)
        by_sub_industry.append({"code": sub["code"], "reached": {s: row.get(s, 0) for s in stages}})
    waiting = projects.filter(awaiting_acceptance_q(as_of)).values("completed_on", "acceptance_applied_on", "withdrawn_on")
    months = city.batch.acceptance_window_months
    overdue_acceptance = sum(
        1 for dates in waiting if rules.acceptance_overdue(_dates(dates), as_of, months)
    )
    return {
        "city": city.code,
        "as_of": as_of.isoformat(),
        "reached": {s: totals[s] for s in stages},
        "rejected": totals["rejected"],
        "withdrawn": totals["withdrawn"],
        "acceptance_failed": totals["acceptance_failed"],
        "overdue": {"acceptance": overdue_acceptance, "completion": totals["overdue_completion"]},
        "by_sub_industry": by_sub_industry,
    }
