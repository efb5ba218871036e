"""Celery tasks of oversight: thin wrappers, started by celery beat (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from . import deadlines


@shared_task(name="oversight.notify_deadlines")
def notify_deadlines() -> None:
    deadlines.deadlines_notify()
