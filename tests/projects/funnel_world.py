"""A hand-built city whose funnel (docs/rules.md §4.6) has every counter non-trivial.

Plain ORM, no randomness: `build()` makes the same rows in the test database and, through
`manage.py shell`, in a fresh SQLite file (tests/projects/test_funnel.py compares the two).
"""

from __future__ import annotations

import datetime as dt

from cities import uscc
from cities.models import Enterprise, PilotBatch, PilotCity, Province, SubIndustry
from projects.models import Project

CODE = "FNL"
AS_OF = dt.date(2026, 6, 15)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


PAID = {
    "applied_on": d("2025-01-10"),
    "admitted_on": d("2025-02-01"),
    "diagnosed_on": d("2025-03-01"),
    "provider_selected_on": d("2025-04-01"),
    "contract_filed_on": d("2025-05-01"),
    "planned_completion_on": d("2025-10-01"),
    "completed_on": d("2025-09-20"),
    "acceptance_applied_on": d("2025-10-10"),
    "accepted_on": d("2025-11-20"),
    "subsidy_approved_on": d("2026-01-10"),
    "subsidy_paid_on": d("2026-03-01"),
}
_UP_TO_CONTRACT = {k: PAID[k] for k in list(PAID)[:6]}

# (sub-industry code, project dates), in the order they are created.
PROJECTS: list[tuple[str, dict[str, dt.date]]] = [
    ("A01", PAID),
    # Failed, then passed: counts as accepted and in acceptance_failed; approved, not paid.
    (
        "A01",
        {
            **PAID,
            "acceptance_failed_on": d("2025-11-01"),
            "accepted_on": d("2026-02-01"),
            "subsidy_approved_on": d("2026-03-01"),
            "subsidy_paid_on": d("2026-07-01"),  # after as_of
        },
    ),
    ("A01", {"applied_on": d("2025-03-01"), "rejected_on": d("2025-04-01")}),
    # Withdrawn after filing, its planned completion passed: not overdue.
    (
        "A01",
        {
            **_UP_TO_CONTRACT,
            "planned_completion_on": d("2026-01-31"),
            "withdrawn_on": d("2025-12-01"),
        },
    ),
    # In progress, planned completion passed: completion overdue.
    ("A01", {**_UP_TO_CONTRACT, "planned_completion_on": d("2026-05-01")}),
    # Completed exactly 3 months before as_of: not yet overdue.
    ("A01", {**_UP_TO_CONTRACT, "completed_on": d("2026-03-15")}),
    # Completed 3 months and a day before: overdue.
    ("A01", {**_UP_TO_CONTRACT, "completed_on": d("2026-03-14")}),
    # Applied before as_of, admitted after it.
    ("A01", {"applied_on": d("2026-06-10"), "admitted_on": d("2026-06-20")}),
    # Late, but applied for acceptance by as_of: not overdue.
    (
        "B02",
        {
            **_UP_TO_CONTRACT,
            "completed_on": d("2026-01-31"),
            "acceptance_applied_on": d("2026-06-01"),
        },
    ),
    # Applied for acceptance only after as_of: overdue.
    (
        "B02",
        {
            **_UP_TO_CONTRACT,
            "completed_on": d("2025-11-30"),
            "acceptance_applied_on": d("2026-07-01"),
        },
    ),
    # Withdrawn after completing, never applied for acceptance: not overdue.
    (
        "B02",
        {**_UP_TO_CONTRACT, "completed_on": d("2025-09-20"), "withdrawn_on": d("2026-01-05")},
    ),
]


def build(first_uscc: int = 7_000_000) -> PilotCity:
    city = PilotCity.objects.create(
        code=CODE,
        name="漏斗市",
        province=Province.objects.get(short_name="广东"),
        batch=PilotBatch.objects.get(year=2024),
        city_type="prefecture",
    )
    subs = {
        code: SubIndustry.objects.create(city=city, code=code, name=f"行业{code}")
        for code in ("B02", "A01", "C03")
    }
    for n, (sub_code, dates) in enumerate(PROJECTS):
        enterprise = Enterprise.objects.create(
            uscc=uscc.synthetic(first_uscc + n),
            name=f"漏斗企业{n}",
            city=city,
            sub_industry=subs[sub_code],
            above_scale=True,
            quality_tier="none",
            size_class="small",
        )
        Project.objects.create(enterprise=enterprise, **dates)
    return city
