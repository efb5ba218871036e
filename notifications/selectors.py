"""Reads of notifications: always the signed-in user's own, nobody else's."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User

from .models import Notification

FILTERS = {"unread": "未读", "read": "已读", "all": "全部"}
# The bell shows at most this; above it "99+". The count stops there, so it stays one cheap query.
BELL_CAP = 100


def inbox(*, user: User, show: str) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user)
    if show == "unread":
        qs = qs.filter(read_at__isnull=True)
    elif show == "read":
        qs = qs.filter(read_at__isnull=False)
    return qs.order_by("-created_at", "-id")


def unread_count(*, user: User) -> int:
    """Unread notifications, counted up to BELL_CAP: one query whatever the inbox holds."""
    return (
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .values("pk")[:BELL_CAP]
        .count()
    )
