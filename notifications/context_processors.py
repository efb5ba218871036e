"""The bell in every page's navigation: the unread count, one query, only if a page shows it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import selectors


def bell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def label() -> str:
        count = selectors.unread_count(user=user)  # type: ignore[arg-type]
        if not count:
            return ""
        return f"{selectors.BELL_CAP - 1}+" if count >= selectors.BELL_CAP else str(count)

    # SimpleLazyObject: evaluated once per request, at the first use in the template.
    return {"notification_unread": SimpleLazyObject(label)}
