"""A city whose every scorecard indicator is non-trivial, a second city with nothing, and the
default scorecard (tests/oversight/test_scorecard_db.py, test_scorecard_admin.py).

HHHT as of 2026-06-15, under `make_scorecard()` (weights .25/.15/.15/.15/.15/.15, uplift cap 2):
- compliance_share 0.5: FOOD compliant (its one counted enterprise at level 2), MOLD not (level
  1), EMPTY not applicable (no counted enterprise) → 50 points × 0.25 = 12.5;
- target_attainment 0.5: of the two targets due (level-2 enterprises ≥ 1: met; filed projects
  ≥ 10: 2 filed), one met; the accepted-projects target is not due yet → 50 × 0.15 = 7.5;
- accepted_vs_plan 0.5: 2 accepted of a plan of 4 → 7.5;
- level_uplift 1.5 levels (1 → 3 and 2 → 3) of a cap of 2 → 75 × 0.15 = 11.25;
- funds_share 0.75: 60 % of central receipts on transformation, of an 80 % minimum → 11.25;
- provider_satisfaction 4.5 (5 and 4) → 87.5 × 0.15 = 13.125.
Score 63.125 → 63.1, 合格, rank 1. NB has nothing: every indicator missing, 0.0, 不合格, rank 2.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from assessments.models import Purpose
from cities.models import CityTarget, PilotBatch
from funds.models import LedgerEntry
from oversight.models import Scorecard, ScorecardIndicator
from projects.models import Project
from tests.assessments.factories import AssessmentFactory
from tests.cities.factories import EnterpriseFactory, SubIndustryFactory

AS_OF = dt.date(2026, 6, 15)
WEIGHTS = {
    "compliance_share": ("0.25", None),
    "target_attainment": ("0.15", None),
    "accepted_vs_plan": ("0.15", None),
    "level_uplift": ("0.15", "2"),
    "funds_share": ("0.15", None),
    "provider_satisfaction": ("0.15", None),
}


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def level(enterprise, purpose: str, on: str, value: int):
    return AssessmentFactory(
        enterprise=enterprise, confirmed=True, purpose=purpose, assessed_on=d(on), level=value
    )


def make_scorecard(
    version: int = 1, weights: dict[str, tuple[str, str | None]] | None = None, **fields
) -> Scorecard:
    sc = Scorecard.objects.create(
        batch=PilotBatch.objects.get(year=2024),
        version=version,
        label=fields.pop("label", f"第 {version} 版"),
        valid_from=fields.pop("valid_from", d("2025-01-01")),
        **fields,
    )
    for key, (weight, cap) in (weights or WEIGHTS).items():
        ScorecardIndicator.objects.create(
            scorecard=sc, key=key, weight=Decimal(weight), cap=None if cap is None else Decimal(cap)
        )
    return sc


def accepted_project(sub_industry, *, baseline: int, after: int, satisfaction: int) -> Project:
    enterprise = EnterpriseFactory(sub_industry=sub_industry, above_scale=False)
    level(enterprise, Purpose.BASELINE, "2025-02-15", baseline)
    level(enterprise, Purpose.POST, "2025-10-15", after)
    return Project.objects.create(
        enterprise=enterprise,
        applied_on=d("2025-01-10"),
        admitted_on=d("2025-02-01"),
        diagnosed_on=d("2025-03-01"),
        provider_selected_on=d("2025-04-01"),
        contract_filed_on=d("2025-04-01"),
        planned_completion_on=d("2025-10-01"),
        completed_on=d("2025-09-20"),
        acceptance_applied_on=d("2025-10-10"),
        accepted_on=d("2025-11-20"),
        satisfaction=satisfaction,
    )


def build(city, other_city) -> None:
    food = SubIndustryFactory(city=city, code="FOOD", name="特色食品")
    mold = SubIndustryFactory(city=city, code="MOLD", name="模具")
    SubIndustryFactory(city=city, code="EMPTY", name="无企业")
    level(EnterpriseFactory(sub_industry=food), Purpose.BASELINE, "2025-03-01", 2)
    level(EnterpriseFactory(sub_industry=mold), Purpose.BASELINE, "2025-03-01", 1)
    accepted_project(food, baseline=1, after=3, satisfaction=5)
    accepted_project(food, baseline=2, after=3, satisfaction=4)
    for metric, value, due in (
        ("level2_enterprises", "1", "2026-01-01"),
        ("filed_projects", "10", "2026-03-01"),
        ("accepted_projects", "4", "2026-12-31"),
    ):
        CityTarget.objects.create(city=city, metric=metric, value=Decimal(value), due_date=d(due))
    for kind, category, amount in (
        ("receipt", "", "1000.00"),
        ("expense", "transformation", "600.00"),
    ):
        LedgerEntry.objects.create(
            city=city,
            entry_on=d("2025-06-01"),
            kind=kind,
            source="central",
            category=category,
            amount=Decimal(amount),
            reference=f"R-{kind}",
        )
    SubIndustryFactory(city=other_city, code="NONE", name="空行业")
