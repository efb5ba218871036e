"""SMS: a backend interface and a logging backend.

China's SMS gateways (Aliyun, Tencent Cloud, carriers) need a signed contract, a registered
signature and approved templates, so what we ship is the interface: a class with
`send(phone, text)`, named by the SMS_BACKEND setting (dotted path). The default only logs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from .models import Notification

logger = logging.getLogger(__name__)
SMS_MAX_LENGTH = 70  # one Chinese SMS segment


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Send one message; raise on failure (the caller logs it, the notification stays)."""


class LoggingBackend:
    """The default: writes each SMS to the log instead of sending it."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone[:3] + "****" + phone[-4:], text)


def backend() -> SmsBackend:
    path = getattr(settings, "SMS_BACKEND", "notifications.sms.LoggingBackend")
    instance: SmsBackend = import_string(path)()
    return instance


def text_of(note: Notification) -> str:
    text = f"【城市试点】{note.title}"
    return text if len(text) <= SMS_MAX_LENGTH else text[: SMS_MAX_LENGTH - 1] + "…"


def send_many(pairs: Iterable[tuple[str, Notification]]) -> int:
    """Send each (phone, notification); failures are logged and skipped. Returns those sent."""
    pairs = list(pairs)
    if not pairs:
        return 0
    sender = backend()
    sent = 0
    for phone, note in pairs:
        try:
            sender.send(phone, text_of(note))
            sent += 1
        except Exception:
            logger.exception("SMS for notification %s failed", note.pk)
    return sent
