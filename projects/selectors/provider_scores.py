"""Reads of the provider evaluation (domain §4.5, the §4.6 `provider_scores` JSON).

Every provider in a city's library (any status), each evaluated over its projects in the city
with `provider_selected_on` by `as_of`, by the pure `projects.provider_rules`. A constant number
of queries whatever the number of providers and projects: the scoring version (unless given),
the library, the projects (each with its enterprise's baseline level as a subquery), and the
after-levels of the accepted projects' enterprises (`after_levels`, one query on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Subquery

from assessments.models import Assessment, Method, Purpose, State
from cities.models import PilotCity
from providers.models import LibraryEntry
from sme_pilot.errors import NotFound

from .. import provider_rules
from ..models import Project, ProviderScoring
from .after_levels import after_level, after_levels


def scoring_for(as_of: dt.date) -> ProviderScoring:
    """The version in force on `as_of`: the latest `valid_from` on or before it (the latest
    version among equals); before every version, the earliest one."""
    versions = ProviderScoring.objects.order_by("-valid_from", "-version")
    found = versions.filter(valid_from__lte=as_of).first() or versions.last()
    if found is None:
        raise NotFound("尚未设置服务商评价权重，请管理员在后台添加")
    return found


def onsite_baseline_level(as_of: dt.date) -> Subquery:
    """The level of the enterprise's earliest confirmed on-site baseline assessment (§4.5),
    among those dated by `as_of` (an earliest one dated later is no baseline yet)."""
    earliest = Assessment.objects.filter(
        enterprise_id=OuterRef("enterprise_id"),
        state=State.CONFIRMED,
        method=Method.ONSITE,
        purpose=Purpose.BASELINE,
        assessed_on__lte=as_of,
    ).order_by("assessed_on", "confirmed_at", "id")
    return Subquery(earliest.values("level")[:1])


def _by(day: dt.date | None, as_of: dt.date) -> dt.date | None:
    return day if day is not None and day <= as_of else None


@dataclass(frozen=True)
class ProviderRow:
    entry: LibraryEntry  # with `provider` selected
    evaluation: provider_rules.Evaluation

    def as_json(self) -> dict[str, Any]:
        return {
            "uscc": self.entry.provider.uscc,
            "name": self.entry.provider.name,
            "status": self.entry.status,
            **self.evaluation.as_json(),
        }


def provider_evaluations(
    *, city: PilotCity, as_of: dt.date, scoring: ProviderScoring
) -> list[ProviderRow]:
    """Every provider of `city`'s library, by USCC, with its evaluation as of `as_of`."""
    entries = list(
        LibraryEntry.objects.filter(city=city).select_related("provider").order_by("provider__uscc")
    )
    rows = list(
        Project.objects.filter(
            enterprise__city=city, provider__isnull=False, provider_selected_on__lte=as_of
        )
        .annotate(baseline_level=onsite_baseline_level(as_of))
        .values(
            "provider_id",
            "enterprise_id",
            "accepted_on",
            "acceptance_failed_on",
            "completed_on",
            "planned_completion_on",
            "satisfaction",
            "baseline_level",
        )
        .order_by()
    )
    accepted_ids = [
        r["enterprise_id"] for r in rows if r["accepted_on"] and r["accepted_on"] <= as_of
    ]
    levels = after_levels(accepted_ids)
    facts: dict[int, list[provider_rules.ProjectFacts]] = {}
    for r in rows:
        accepted_on = _by(r["accepted_on"], as_of)
        completed_on = _by(r["completed_on"], as_of)
        after = None
        if accepted_on is not None and completed_on is not None:
            after = after_level(levels.get(r["enterprise_id"], []), completed_on, accepted_on)
        facts.setdefault(r["provider_id"], []).append(
            provider_rules.ProjectFacts(
                accepted=accepted_on is not None,
                failed=_by(r["acceptance_failed_on"], as_of) is not None,
                baseline_level=r["baseline_level"],
                after_level=after,
                satisfaction=r["satisfaction"],
                completed_on=completed_on,
                planned_completion_on=r["planned_completion_on"],
            )
        )
    terms = scoring.terms()
    return [
        ProviderRow(entry, provider_rules.evaluate(facts.get(entry.provider.pk, []), terms))
        for entry in entries
    ]


def provider_scores(
    city: PilotCity, as_of: dt.date, scoring: ProviderScoring | None = None
) -> dict[str, Any]:
    """The §4.6 `provider_scores` JSON of `city` as of `as_of` (a dict ready for json.dumps),
    under `scoring` (default: the version in force on `as_of`)."""
    scoring = scoring or scoring_for(as_of)
    return scores_json(city, as_of, provider_evaluations(city=city, as_of=as_of, scoring=scoring))


def scores_json(city: PilotCity, as_of: dt.date, rows: list[ProviderRow]) -> dict[str, Any]:
    return {
        "city": city.code,
        "as_of": as_of.isoformat(),
        "providers": [row.as_json() for row in rows],
    }
