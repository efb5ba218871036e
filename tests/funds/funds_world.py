"""A hand-built city whose funds (docs/rules.md §4.6) have every figure non-trivial.

Plain ORM, no randomness: `build()` makes the same rows in the test database and, through
`manage.py shell`, in a fresh SQLite file (tests/funds/test_command.py compares the two).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cities import uscc
from cities.models import Enterprise, PilotBatch, PilotCity, Province, SubIndustry
from funds.models import LedgerEntry
from projects.models import Project

CODE = "FND"
AS_OF = dt.date(2026, 6, 30)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# (day, kind, source, category, amount, reference, reverses-reference)
ENTRIES: list[tuple[str, str, str, str, str, str, str]] = [
    ("2025-01-15", "receipt", "central", "", "60000000.00", "Z-001", ""),
    ("2025-02-01", "receipt", "local", "", "30000000.00", "L-001", ""),
    ("2025-03-01", "expense", "central", "platform", "5000000.00", "Z-101", ""),
    ("2025-04-01", "expense", "central", "chain", "2000000.00", "Z-102", ""),
    ("2025-05-01", "expense", "central", "procured_services", "1000000.00", "Z-103", ""),
    ("2025-05-02", "expense", "central", "procured_services", "333333.33", "Z-104", ""),
    ("2025-05-20", "expense", "central", "procured_services", "333333.33", "Z-105", "Z-104"),
    ("2025-06-01", "expense", "central", "transformation", "40000000.00", "Z-201", ""),
    ("2025-07-01", "receipt", "central", "", "30000000.00", "Z-002", ""),
    ("2025-08-01", "expense", "local", "transformation", "9000000.00", "L-201", ""),
    ("2025-09-01", "expense", "local", "platform", "1000000.00", "L-101", ""),
    # After as_of: left out.
    ("2026-08-01", "receipt", "central", "", "10000000.00", "Z-003", ""),
    ("2026-08-02", "expense", "central", "platform", "1000000.00", "Z-106", ""),
]

# (approved_on, paid_on, central, local)
SUBSIDIES: list[tuple[str, str | None, str, str]] = [
    ("2026-01-10", "2026-03-01", "15000000.00", "1500000.00"),
    ("2026-01-10", "2026-04-01", "6000000.00", "500000.00"),
    ("2026-02-10", "2026-07-15", "300000.00", "0.00"),  # paid after as_of
    ("2026-05-10", None, "200000.50", "100000.25"),
    ("2026-07-10", None, "999.00", "1.00"),  # approved after as_of
]

EXPECTED = {
    "city": CODE,
    "as_of": "2026-06-30",
    "award_cap": "100000000.00",
    "central": {
        "received": "90000000.00",
        "transformation": "61000000.00",
        "platform": "5000000.00",
        "chain": "2000000.00",
        "procured_services": "1000000.00",
    },
    "local": {"received": "30000000.00", "spent": "12000000.00"},
    "transformation_share": "0.6778",
    "other_share": "0.0889",
    "other_within_limit": True,
    "transformation_target_met": False,
    "subsidies": {
        "approved": 4,
        "approved_amount": "23600000.75",
        "paid": 2,
        "paid_amount": "23000000.00",
    },
}


def build(first_uscc: int = 7_100_000) -> PilotCity:
    city = PilotCity.objects.create(
        code=CODE,
        name="资金市",
        province=Province.objects.get(short_name="广东"),
        batch=PilotBatch.objects.get(year=2024),
        city_type="prefecture",
    )
    by_reference: dict[str, LedgerEntry] = {}
    for day, kind, source, category, amount, reference, reverses in ENTRIES:
        by_reference[reference] = LedgerEntry.objects.create(
            city=city,
            entry_on=d(day),
            kind=kind,
            source=source,
            category=category,
            amount=Decimal(amount),
            reference=reference,
            reverses=by_reference[reverses] if reverses else None,
        )
    sub = SubIndustry.objects.create(city=city, code="A01", name="行业A01")
    for n, (approved, paid, central, local) in enumerate(SUBSIDIES):
        enterprise = Enterprise.objects.create(
            uscc=uscc.synthetic(first_uscc + n),
            name=f"资金企业{n}",
            city=city,
            sub_industry=sub,
            above_scale=True,
            quality_tier="none",
            size_class="small",
        )
        dates = {
            "applied_on": d("2025-01-10"),
            "admitted_on": d("2025-02-01"),
            "diagnosed_on": d("2025-03-01"),
            "provider_selected_on": d("2025-04-01"),
            "contract_filed_on": d("2025-05-01"),
            "completed_on": d("2025-09-20"),
            "acceptance_applied_on": d("2025-10-10"),
            "accepted_on": d("2025-11-20"),
            "subsidy_approved_on": d(approved),
            "subsidy_paid_on": d(paid) if paid else None,
        }
        Project.objects.create(
            enterprise=enterprise,
            subsidy_central=Decimal(central),
            subsidy_local=Decimal(local),
            **dates,
        )
    return city
