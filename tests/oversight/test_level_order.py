"""One order of confirmed assessments on every database: a missing confirmation time is earliest."""

import datetime as dt

import pytest
from django.utils import timezone

from assessments.models import Assessment
from assessments.selectors import current_level_of, with_current_level
from assessments.services import refresh_current_level
from cities.models import Enterprise
from oversight.selectors.compliance import city_compliance, with_baseline_level

pytestmark = pytest.mark.django_db


def test_same_day_levels_with_and_without_confirmation_time(enterprise):
    day = timezone.localdate() - dt.timedelta(days=3)
    common = {"enterprise": enterprise, "method": "onsite", "state": "confirmed",
              "source": "import", "assessed_on": day}  # fmt: skip
    Assessment.objects.create(purpose="baseline", level=1, confirmed_at=None, **common)
    Assessment.objects.create(purpose="post", level=3, confirmed_at=timezone.now(), **common)
    refresh_current_level([enterprise.pk])  # written past the services, as they would
    assert current_level_of(enterprise=enterprise) == 3
    annotated = with_baseline_level(with_current_level(Enterprise.objects.all())).get()
    assert (annotated.current_level, annotated.baseline_level) == (3, 1)
    (sub,) = city_compliance(city=enterprise.city).sub_industries
    assert sub.at_or_above == 1
