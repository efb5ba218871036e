"""A small multi-city world for the national report and the national dashboard's scores.

tests/oversight/scorecard_world.py (HHHT scored 63.1 合格 rank 1, NB 0.0 不合格 rank 2 under the
2024 batch's scorecard v1, as of 2026-06-15), plus XA, a 2025-batch city in another province and
region with no scorecard (one compliant sub-industry), and one 转型样板: HHHT's first accepted
project, with its investment lines and an approved (not paid) subsidy.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from assessments.models import Purpose
from cities.models import PilotBatch, Province
from oversight.models import Scorecard
from projects.models import InvestmentLine, Project, TransformationSample
from tests.cities.factories import CityFactory, EnterpriseFactory, SubIndustryFactory
from tests.oversight import scorecard_world
from tests.reports.test_national_layout import body_lines

AS_OF = scorecard_world.AS_OF
SAMPLE_LINES = {"software": "120000.00", "cloud": "30000.00", "office_it": "5000.00"}
SAMPLE_SUBSIDY = ("40000.00", "20000.00")  # central, local
SECTIONS = ("二、", "三、", "四、", "五、", "六、", "七、", "八、", "九、")


def build(city, other_city) -> Scorecard:
    scorecard_world.build(city, other_city)
    # Another province (and region) for NB, so a province official sees one of the two.
    other_city.province = Province.objects.get(short_name="浙江")
    other_city.save()
    xa = CityFactory(
        code="XA",
        name="西安市",
        province=Province.objects.get(short_name="陕西"),
        batch=PilotBatch.objects.get(year=2025),
        plan_approved_on=dt.date(2025, 3, 1),
    )
    sub = SubIndustryFactory(city=xa, code="AUTO", name="汽车零部件")
    scorecard_world.level(EnterpriseFactory(sub_industry=sub), Purpose.BASELINE, "2025-05-01", 2)
    project = (
        Project.objects.filter(enterprise__city=city, accepted_on__isnull=False)
        .order_by("satisfaction")
        .last()
    )
    assert project is not None
    for category, amount in SAMPLE_LINES.items():
        InvestmentLine.objects.create(project=project, category=category, amount=Decimal(amount))
    central, local = SAMPLE_SUBSIDY
    Project.objects.filter(pk=project.pk).update(
        subsidy_approved_on=dt.date(2025, 12, 1),
        subsidy_central=Decimal(central),
        subsidy_local=Decimal(local),
    )
    TransformationSample.objects.create(
        project=project,
        description="订单到生产全流程上云",
        marked_at=timezone.make_aware(dt.datetime(2026, 1, 10, 9, 0)),
    )
    return scorecard_world.make_scorecard()


def pdf_sections(pdf: Path) -> dict[str, list[str]]:
    """The text lines of each numbered section ("二、" …), the running header and footer left
    out."""
    found: dict[str, list[str]] = {}
    current = None
    for line in (line for page in body_lines(pdf) for line in page):
        head = line.strip()[:2]
        if head in SECTIONS:
            current = head
            found[current] = []
        elif current:
            found[current].append(line)
    return found
