"""Celery tasks of notifications: thin wrappers that call one service each.

Sent by name (`services.SEND_MAIL_TASK`, CELERY_BEAT_SCHEDULE); nothing imports this module but
Celery's autodiscovery.
"""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name=services.SEND_MAIL_TASK)
def send_mail(mail_id: int) -> None:
    """One attempt; after a failure the next one is sent with the backoff delay (the sweeper
    sends it too, should this message be lost)."""
    delay = services.mail_send(mail_id=mail_id)
    if delay is not None:
        services.enqueue_mail(mail_id, countdown=delay)


@shared_task(name="notifications.sweep_mail")
def sweep_mail() -> None:
    services.mail_sweep()


@shared_task(name="notifications.send_digests")
def send_digests() -> None:
    services.digests_send()


@shared_task(name="notifications.cleanup")
def cleanup() -> None:
    services.notifications_cleanup()
