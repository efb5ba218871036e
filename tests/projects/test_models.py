"""The database itself refuses what it can say about a project (named check constraints)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from projects.models import InvestmentLine, Project

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 1)


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"admitted_on": DAY}, "projects_project_admitted_after_previous"),
        (
            {"applied_on": DAY, "admitted_on": DAY - dt.timedelta(days=1)},
            "projects_project_admitted_after_previous",
        ),
        (
            {"applied_on": DAY, "admitted_on": DAY, "rejected_on": DAY},
            "projects_project_rejected_not_admitted",
        ),
        (
            {"applied_on": DAY, "rejected_on": DAY - dt.timedelta(days=1)},
            "projects_project_rejected_after_applied",
        ),
        ({"applied_on": DAY, "satisfaction": 6}, "projects_project_satisfaction_range"),
        ({"applied_on": DAY, "satisfaction": 0}, "projects_project_satisfaction_range"),
        (
            {"applied_on": DAY, "contract_amount": Decimal("-1")},
            "projects_project_contract_amount_gte_0",
        ),
        (
            {"applied_on": DAY, "subsidy_local": Decimal("-0.01")},
            "projects_project_subsidy_local_gte_0",
        ),
    ],
)
def test_the_database_refuses_a_bad_project(enterprise, fields: dict[str, Any], constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Project.objects.create(enterprise=enterprise, **fields)


def test_one_project_per_enterprise(enterprise):
    Project.objects.create(enterprise=enterprise, applied_on=DAY)
    with pytest.raises(IntegrityError, match="projects_project_one_per_enterprise"):
        Project.objects.create(enterprise=enterprise, applied_on=DAY)


def test_one_line_per_category_never_negative(enterprise):
    project = Project.objects.create(enterprise=enterprise, applied_on=DAY)
    InvestmentLine.objects.create(project=project, category="software", amount=Decimal(1))
    unique = "projects_investmentline_unique_category"
    with pytest.raises(IntegrityError, match=unique), transaction.atomic():
        InvestmentLine.objects.create(project=project, category="software", amount=Decimal(2))
    with pytest.raises(IntegrityError, match="projects_investmentline_amount_gte_0"):
        InvestmentLine.objects.create(project=project, category="cloud", amount=Decimal(-1))
