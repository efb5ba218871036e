"""`projects.selectors.after_levels` (§4.3): the level of the latest confirmed on-site post
assessment dated from completion to acceptance, read in bulk."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from assessments.models import Purpose, State
from projects.selectors.after_levels import after_level, after_levels
from tests.assessments.factories import AssessmentFactory

pytestmark = pytest.mark.django_db


def test_only_confirmed_onsite_post_assessments_count_latest_first(enterprise, other_enterprise):
    def post(on: str, level: int, **extra):
        return AssessmentFactory(
            enterprise=enterprise,
            confirmed=True,
            purpose=Purpose.POST,
            assessed_on=date.fromisoformat(on),
            level=level,
            **extra,
        )

    post("2025-03-01", 2)
    early, late = timezone.now() - timedelta(days=1), timezone.now()
    post("2025-06-01", 3, confirmed_at=early)
    post("2025-06-01", 4, confirmed_at=late)  # same day, confirmed later: it is the latest
    post("2025-09-01", 2)  # after the acceptance below
    AssessmentFactory(  # a baseline, however high, is no after-level
        enterprise=enterprise, confirmed=True, assessed_on=date(2025, 7, 1), level=3
    )
    AssessmentFactory(  # nor a post assessment never confirmed
        enterprise=enterprise,
        confirmed=True,
        purpose=Purpose.POST,
        state=State.SUBMITTED,
        confirmed_at=None,
        assessed_on=date(2025, 7, 2),
        level=3,
    )

    found = after_levels([enterprise.pk, other_enterprise.pk])
    assert set(found) == {enterprise.pk}  # none for the other enterprise
    mine = found[enterprise.pk]
    assert [a["level"] for a in mine] == [2, 4, 3, 2]
    assert after_level(mine, date(2025, 5, 1), date(2025, 8, 31)) == 4
    assert after_level(mine, date(2025, 1, 1), date(2025, 3, 1)) == 2  # ends inclusive
    assert after_level(mine, date(2025, 3, 2), date(2025, 5, 31)) is None
    assert after_levels([]) == {}
