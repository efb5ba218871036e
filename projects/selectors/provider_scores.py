"""Reads of the provider evaluation (domain §4.5, the §4.6 `provider_scores` JSON).

Every provider in a city's library (any status), each evaluated over its projects in the city
with `provider_selected_on` by `as_of`, by the pure `projects.provider_rules`. A constant number
of queries whatever the number of providers and projects: the scoring version (unless given),
the library, and the projects, each with its enterprise's baseline level and (accepted by the
day) its after-level as subqueries.
`cities_provider_evaluations` reads any number of cities in those same queries (`--all`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, F, OuterRef, Subquery, When

from assessments.models import Assessment, Method, Purpose, State
from cities.models import PilotCity
from providers.models import LibraryEntry
from sme_pilot.errors import NotFound

from .. import provider_rules
from ..models import Project, ProviderScoring


def scoring_for(as_of: dt.date) -> ProviderScoring:
    """The version in force on `as_of`: the latest `valid_from` on or before it (the latest
    version among equals); before every version, the earliest one."""
    versions = ProviderScoring.objects.order_by("-valid_from", "-version")
    found = versions.filter(valid_from__lte=as_of).first() or versions.last()
    if found is None:
        raise NotFound("尚未设置服务商评价权重，请管理员在后台添加")
    return found


def baseline_level(as_of: dt.date, enterprise: str = "enterprise_id") -> Subquery:
    """The level of the enterprise's earliest confirmed on-site baseline assessment (§4.5),
    among those dated by `as_of` (an earliest one dated later is no baseline yet); `enterprise`
    names the outer query's enterprise id (the 转型样板 read it through their project)."""
    earliest = Assessment.objects.filter(
        enterprise_id=OuterRef(enterprise),
        state=State.CONFIRMED,
        method=Method.ONSITE,
        purpose=Purpose.BASELINE,
        assessed_on__lte=as_of,
    ).order_by("assessed_on", "confirmed_at", "id")
    return Subquery(earliest.values("level")[:1])


def after_level_of(as_of: dt.date) -> Case:
    """The after-level (§4.3, `after_levels.after_level`) of a project accepted by `as_of`: the
    level of the enterprise's latest confirmed on-site post assessment dated from the project's
    completion to its acceptance (no confirmation time counts as the earliest)."""
    latest = Assessment.objects.filter(
        enterprise_id=OuterRef("enterprise_id"),
        state=State.CONFIRMED,
        method=Method.ONSITE,
        purpose=Purpose.POST,
        assessed_on__gte=OuterRef("completed_on"),
        assessed_on__lte=OuterRef("accepted_on"),
    ).order_by("-assessed_on", F("confirmed_at").desc(nulls_last=True), "-id")
    return Case(
        When(
            accepted_on__lte=as_of,
            completed_on__lte=as_of,
            then=Subquery(latest.values("level")[:1]),
        ),
        default=None,
    )


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
    return cities_provider_evaluations(cities=[city], as_of=as_of, scoring=scoring)[city.pk]


def cities_provider_evaluations(
    *, cities: Sequence[PilotCity], as_of: dt.date, scoring: ProviderScoring
) -> dict[int, list[ProviderRow]]:
    """`provider_evaluations` of each of `cities` (by city id), in the same queries as one city:
    the libraries, and the projects with their levels."""
    ids = [c.pk for c in cities]
    entries: dict[int, list[LibraryEntry]] = {pk: [] for pk in ids}
    for entry in (
        LibraryEntry.objects.filter(city_id__in=ids)
        .select_related("provider")
        .order_by("city_id", "provider__uscc")
    ):
        entries[entry.city_id].append(entry)
    rows = (
        Project.objects.filter(
            enterprise__city_id__in=ids, provider__isnull=False, provider_selected_on__lte=as_of
        )
        .annotate(baseline_level=baseline_level(as_of), level_after=after_level_of(as_of))
        .values_list(
            "enterprise__city_id",
            "provider_id",
            "accepted_on",
            "acceptance_failed_on",
            "completed_on",
            "planned_completion_on",
            "satisfaction",
            "baseline_level",
            "level_after",
        )
        .order_by()
    )
    facts: dict[tuple[int, int], list[provider_rules.ProjectFacts]] = {}
    for (
        city_id,
        provider_id,
        accepted_on,
        failed_on,
        completed_on,
        planned,
        rating,
        base,
        after,
    ) in rows:
        facts.setdefault((city_id, provider_id), []).append(
            provider_rules.ProjectFacts(
                accepted=accepted_on is not None and accepted_on <= as_of,
                failed=failed_on is not None and failed_on <= as_of,
                baseline_level=base,
                after_level=after,
                satisfaction=rating,
                completed_on=_by(completed_on, as_of),
                planned_completion_on=planned,
            )
        )
    terms = scoring.terms()
    return {
        pk: [
            ProviderRow(
                entry, provider_rules.evaluate(facts.get((pk, entry.provider.pk), []), terms)
            )
            for entry in city_entries
        ]
        for pk, city_entries in entries.items()
    }


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
