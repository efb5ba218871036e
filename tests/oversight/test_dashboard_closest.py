"""The city dashboard's "closest to the line" against a straightforward recomputation on
randomised data: each enterprise's latest scored assessment read whole and re-scored."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.db.models import Q
from django.utils import timezone

from assessments import scoring
from assessments.models import Assessment, IndicatorRevision, Method, Purpose, State
from assessments.selectors import with_current_level
from cities.models import Enterprise
from oversight.selectors.compliance import counted_q, rule_for
from oversight.selectors.dashboard.closest import ClosestRow, _closest, _distance_of
from tests.assessments.factories import (
    AssessmentFactory,
    current_revision,
    example_document,
    top_document,
)
from tests.cities.factories import CityFactory, EnterpriseFactory, SubIndustryFactory

pytestmark = pytest.mark.django_db


def _document(rng: random.Random) -> dict[str, Any]:
    """The §3.1 example's or the best answers, with random (mostly low) scene ratings."""
    document = rng.choice([example_document(), top_document()])
    document["scenes"] = {code: rng.choice([0, 0, 1, 2, 4]) for code in document["scenes"]}
    return document


def _world(seed: int):
    rng = random.Random(seed)
    today = timezone.localdate()
    city = CityFactory(code=f"K{seed}")
    subs = [SubIndustryFactory(city=city) for _ in range(2)]
    for i in range(40):
        e = EnterpriseFactory(
            sub_industry=rng.choice(subs),
            name=f"企业{rng.randint(0, 9)}",  # equal names: the USCC breaks the tie
            above_scale=rng.random() < 0.6,
            quality_tier=rng.choice(["none", "little_giant"]),
        )
        for _ in range(rng.choice([0, 1, 2, 3])):
            day = today - dt.timedelta(days=rng.choice([0, 0, 30, 200, 500]))
            kind = rng.choice(["self", "self", "imported", "result_only", "no_revision", "draft"])
            if kind == "self":  # answers and a revision: re-scored
                AssessmentFactory(
                    enterprise=e, submitted=True, document=_document(rng), assessed_on=day
                )
            elif kind == "imported":  # a level only
                AssessmentFactory(
                    enterprise=e,
                    method=Method.ONSITE,
                    purpose=Purpose.POST,
                    state=State.CONFIRMED,
                    level=rng.randint(0, 4),
                    revision=None,
                    assessed_on=day,
                    confirmed_at=None,
                )
            elif kind == "result_only":  # no answers to re-score: the stored result's next level
                document = _document(rng)
                result = scoring.score(
                    document["answers"],
                    document["scenes"],
                    document["data"],
                    scoring.default_indicator(),
                )
                AssessmentFactory(
                    enterprise=e,
                    submitted=True,
                    revision=None,
                    level=result.level,
                    result=scoring.result_to_json(result),
                    assessed_on=day,
                )
            elif kind == "no_revision":  # answers without a revision: its level only
                AssessmentFactory(
                    enterprise=e, submitted=True, revision=None, level=rng.randint(0, 4)
                )
            else:
                AssessmentFactory(enterprise=e, document=_document(rng), assessed_on=day)
        if i % 5 == 0 and rng.random() < 0.5:
            AssessmentFactory(
                enterprise=e,
                method=Method.ONSITE,
                purpose=Purpose.POST,
                state=State.CONFIRMED,
                level=rng.randint(0, 4),
                revision=current_revision(),
                confirmed_at=timezone.now(),
                assessed_on=today - dt.timedelta(days=rng.randint(0, 400)),
                document=_document(rng),
            )
    return city


def _reference(city, as_of, rule) -> tuple[list[ClosestRow], int]:
    rows = []
    below = (
        with_current_level(
            Enterprise.objects.filter(city=city).filter(counted_q(rule)), as_of=as_of
        )
        .filter(Q(current_level__lt=rule.min_level) | Q(current_level__isnull=True))
        .select_related("sub_industry")
    )
    for e in below:
        latest = (
            Assessment.objects.filter(
                enterprise=e,
                state__in=[State.SUBMITTED, State.CONFIRMED],
                level__isnull=False,
                assessed_on__lte=as_of,
            )
            .order_by("-assessed_on", "-id")
            .first()
        )
        a = None
        if latest is not None:
            a = {
                "method": latest.method,
                "level": latest.level,
                "assessed_on": latest.assessed_on,
                "answers": latest.answers,
                "scenes": latest.scenes,
                "data": latest.data,
                "result": latest.result,
                "revision_id": latest.revision_id,
            }
        revisions = {r.pk: r for r in IndicatorRevision.objects.all()}
        distance = _distance_of(a, revisions, rule.min_level)
        rows.append(ClosestRow(e.uscc, e.name, e.sub_industry.name, e.current_level, distance))
    rows.sort(key=lambda r: (r.distance.rank, r.name, r.uscc))
    return rows, len(rows)


@pytest.mark.parametrize("seed", [1, 2])
def test_closest_matches_a_recomputation(seed):
    city = _world(seed)
    rule = rule_for(city.batch)
    for days_back in (0, 100, 300):
        as_of = timezone.localdate() - dt.timedelta(days=days_back)
        rows, total = _closest(city, as_of, rule)
        expected, expected_total = _reference(city, as_of, rule)
        assert total == expected_total
        assert rows == expected[: len(rows)]
        if not days_back:  # the data reach every kind of row
            assert any(r.distance.fewest_changes for r in rows)
            assert any(r.distance.fewest_changes is None and r.distance.level for r in rows)
            assert any(r.distance.level is None for r in rows)
