"""A city whose report has every pilot-management section non-trivial (tests/reports/
test_city_report_sections.py): the scorecard world (levels, targets, two accepted projects,
central funds, a second city in the batch) and the provider world (providers with rated
projects) in one city, plus districts, overdue, rejected and withdrawn projects, subsidies
approved and paid, local funds and other uses, and a 转型样板 with its investment lines.

As of 2026-06-15 (`AS_OF`), scored under `scorecard_world.make_scorecard()`.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from cities.models import Enterprise, PilotCity
from funds.models import LedgerEntry
from projects.models import InvestmentLine, Project, TransformationSample
from tests.cities.factories import DistrictFactory, SubIndustryFactory
from tests.oversight import scorecard_world
from tests.projects import provider_world
from tests.projects.provider_world import ACCEPTED, d, make_project
from tests.providers.factories import ProductFactory

AS_OF = scorecard_world.AS_OF  # 2026-06-15, as provider_world's


def build(city: PilotCity, other_city: PilotCity) -> dict[str, object]:
    scorecard_world.build(city, other_city)
    textiles = SubIndustryFactory(city=city, code="TEXT", name="纺织服装")
    found = provider_world.build(city, textiles, other_city)
    p = found["p"]
    # Overdue: completed 2026-01-10, no acceptance application (3 months: due 2026-04-10).
    make_project(textiles, p, completed_on="2026-01-10")
    # Overdue: planned completion 2026-05-01 passed, not completed.
    make_project(textiles, p, planned_completion_on="2026-05-01")
    # Rejected at admission; withdrawn after filing.
    rejected = make_project(textiles, p)
    Project.objects.filter(pk=rejected.pk).update(
        admitted_on=None,
        diagnosed_on=None,
        provider_selected_on=None,
        contract_filed_on=None,
        planned_completion_on=None,
        provider=None,
        rejected_on=d("2025-02-01"),
    )
    make_project(textiles, p, withdrawn_on="2025-12-01")
    # The first accepted project of the provider world: approved and paid, a sample.
    sample = (
        Project.objects.filter(enterprise__city=city, provider=p, satisfaction=5)
        .order_by("pk")
        .first()
    )
    assert sample is not None
    Project.objects.filter(pk=sample.pk).update(
        subsidy_approved_on=d("2025-12-01"),
        subsidy_paid_on=d("2026-01-20"),
        subsidy_central=Decimal("30000.00"),
        subsidy_local=Decimal("10000.50"),
    )
    Enterprise.objects.filter(pk=sample.enterprise_id).update(quality_tier="provincial_srdi")
    # Approved only, not paid, on another accepted project.
    Project.objects.filter(enterprise__city=city, accepted_on=d("2026-02-01")).update(
        subsidy_approved_on=d("2026-03-01"),
        subsidy_central=Decimal("12000.00"),
        subsidy_local=Decimal("0.00"),
    )
    for category, amount in (("software", "80000"), ("cloud", "20000"), ("office_it", "15000")):
        InvestmentLine.objects.create(project=sample, category=category, amount=Decimal(amount))
    marked = TransformationSample.objects.create(
        project=sample, description="上云用数，订单交付周期缩短三成", marked_at=timezone.now()
    )
    marked.products.add(ProductFactory(provider=p, name="云MES"))
    TransformationSample.objects.filter(pk=marked.pk).update(
        marked_at=timezone.make_aware(timezone.datetime(2026, 3, 1))
    )
    # Districts: half the city's enterprises in each of two, by id.
    north = DistrictFactory(city=city, code="D01", name="新城区")
    south = DistrictFactory(city=city, code="D02", name="赛罕区")
    ids = list(Enterprise.objects.filter(city=city).order_by("pk").values_list("pk", flat=True))
    Enterprise.objects.filter(pk__in=ids[::2]).update(district=north)
    Enterprise.objects.filter(pk__in=ids[1::2]).update(district=south)
    # Local money and a central other use (within the 20 %).
    for kind, source, category, amount in (
        ("receipt", "local", "", "500.00"),
        ("receipt", "central", "", "99000.00"),
        ("expense", "local", "platform", "120.00"),
        ("expense", "central", "platform", "150.00"),
    ):
        LedgerEntry.objects.create(
            city=city,
            entry_on=d("2025-07-01"),
            kind=kind,
            source=source,
            category=category,
            amount=Decimal(amount),
            reference=f"W-{kind}-{source}-{category}",
        )
    return {**found, "sample": sample, "accepted": ACCEPTED}
