"""Oversight keeps its cache fresh from the events the apps below it send; writers never call it."""

from __future__ import annotations

import pytest

from assessments.models import Assessment
from assessments.signals import levels_changed
from cities.models import Enterprise, ImportJob
from cities.signals import registry_changed
from oversight import dashboard_cache

pytestmark = pytest.mark.django_db


def token(city_id: int) -> str:
    return dashboard_cache._tokens([city_id])[city_id]


@pytest.mark.parametrize(
    ("signal", "sender"), [(levels_changed, Assessment), (registry_changed, Enterprise)]
)
def test_a_city_event_invalidates_that_city_after_commit(
    signal, sender, city, django_capture_on_commit_callbacks
):
    before = token(city.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        signal.send(sender=sender, city_ids=[city.pk, None])
        assert token(city.pk) == before  # nothing changes before the writer commits
    assert callbacks
    assert token(city.pk) != before


def test_an_event_for_every_city_invalidates_all(city, django_capture_on_commit_callbacks):
    before = token(city.pk)
    with django_capture_on_commit_callbacks(execute=True):
        registry_changed.send(sender=ImportJob, city_ids=None)
        assert token(city.pk) == before
    assert token(city.pk) != before
