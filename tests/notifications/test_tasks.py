"""The periodic work of issue 16 is scheduled under names Celery knows, and each task runs its
service (eagerly here)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from notifications.choices import Kind
from notifications.models import Notification
from sme_pilot.celery import app


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "oversight.notify_deadlines",
        "notifications.send_digests",
        "notifications.cleanup",
        "notifications.sweep_mail",
    } <= names
    assert names - set(app.tasks) == set()


@pytest.mark.django_db
def test_the_cleanup_task_deletes_what_is_older_than_180_days(enterprise_user):
    app.loader.import_default_modules()
    old = Notification.objects.create(
        recipient=enterprise_user,
        kind=Kind.REPORT_READY,
        title="旧通知",
        created_at=timezone.now() - dt.timedelta(days=200),
    )
    app.tasks["notifications.cleanup"].delay()
    assert not Notification.objects.filter(pk=old.pk).exists()
