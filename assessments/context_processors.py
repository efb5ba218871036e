"""What every page's navigation shows of assessments: the assessor's queue count (待评定)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts import policy

from . import selectors


def assessor_queue(request: HttpRequest) -> dict[str, Any]:
    """`assessor_queue_count` for an assessor: one COUNT query, run only if a page shows it."""
    user = getattr(request, "user", None)
    if not policy.has(user, policy.Ability.ASSESS_ONSITE):
        return {}
    return {
        "assessor_queue_count": SimpleLazyObject(
            lambda: selectors.onsite_queue_visible_to(user=user).count()
        )
    }
