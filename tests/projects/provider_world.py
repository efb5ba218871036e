"""A city whose provider evaluation (docs/rules.md §4.5) has every metric non-trivial, and the
helpers that build it (tests/projects/test_provider_scores.py, test_provider_league.py)."""

from __future__ import annotations

import datetime as dt

from assessments.models import Purpose, State
from projects.models import Project
from tests.assessments.factories import AssessmentFactory
from tests.cities.factories import EnterpriseFactory, SubIndustryFactory
from tests.providers.factories import LibraryEntryFactory, ProviderFactory

AS_OF = dt.date(2026, 6, 15)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def make_project(sub_industry, provider, *, selected: str = "2025-04-01", **dates) -> Project:
    """A project of a new enterprise with `provider` selected on `selected`, with the later
    dates given (the contract filed the same day, planned completion 2025-10-01 by default)."""
    values: dict[str, object] = {
        "applied_on": d("2025-01-10"),
        "admitted_on": d("2025-02-01"),
        "diagnosed_on": d("2025-03-01"),
        "provider_selected_on": d(selected),
        "contract_filed_on": d(selected),
        "planned_completion_on": d("2025-10-01"),
    }
    values.update({k: d(v) if isinstance(v, str) else v for k, v in dates.items()})
    return Project.objects.create(
        enterprise=EnterpriseFactory(sub_industry=sub_industry), provider=provider, **values
    )


def level(enterprise, purpose: str, on: str, value: int, **extra):
    return AssessmentFactory(
        enterprise=enterprise,
        confirmed=True,
        purpose=purpose,
        assessed_on=d(on),
        level=value,
        **extra,
    )


ACCEPTED = {
    "completed_on": "2025-09-20",
    "acceptance_applied_on": "2025-10-10",
    "accepted_on": "2025-11-20",
}


def build(city, sub_industry, other_city):
    """Provider P (active) with five projects and Q (warned, none) in the city's library; R with
    a project but not in the library; P also in the other city's library, with a project there."""
    p = LibraryEntryFactory(city=city).provider
    q = LibraryEntryFactory(city=city, status="warned").provider
    r = ProviderFactory()
    LibraryEntryFactory(city=other_city, provider=p)

    # 1. Accepted on time, rated 5; baseline 1 (the earliest confirmed on-site one: a later one
    #    says 2, an earlier unconfirmed one 3), after-level 3: uplift 2.
    one = make_project(sub_industry, p, **ACCEPTED, satisfaction=5)
    level(one.enterprise, Purpose.BASELINE, "2025-02-15", 1)
    level(one.enterprise, Purpose.BASELINE, "2025-05-01", 2)
    level(
        one.enterprise,
        Purpose.BASELINE,
        "2025-01-01",
        3,
        state=State.SUBMITTED,
        confirmed_at=None,
    )
    level(one.enterprise, Purpose.POST, "2025-10-15", 3)
    # 2. Failed, then accepted: counted once, as accepted; no baseline (no uplift); rated 4.
    two = make_project(
        sub_industry,
        p,
        **{**ACCEPTED, "accepted_on": "2026-02-01"},
        acceptance_failed_on="2025-11-01",
        satisfaction=4,
    )
    level(two.enterprise, Purpose.POST, "2026-01-15", 2)
    # 3. Failed and not (yet) accepted; its rating does not count (not at an acceptance).
    make_project(
        sub_industry,
        p,
        **ACCEPTED | {"accepted_on": None},
        acceptance_failed_on="2026-05-01",
        satisfaction=1,
    )
    # 4. Completed late, accepted only after as_of: no outcome yet.
    make_project(
        sub_industry,
        p,
        completed_on="2026-05-01",
        planned_completion_on="2026-04-01",
        acceptance_applied_on="2026-05-10",
        accepted_on="2026-07-01",
    )
    # 5. Provider selected after as_of: not one of its projects yet.
    make_project(sub_industry, p, selected="2026-07-01")
    # R's project: R is not in the library, so it is not listed.
    make_project(sub_industry, r)
    # P's project in the other city: not this city's.
    make_project(SubIndustryFactory(city=other_city), p, **ACCEPTED, satisfaction=1)
    return {"p": p, "q": q, "r": r, "city": city}
