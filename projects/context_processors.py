"""What every page's navigation shows of the pipeline: the 待办 count of the user's queues."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import queues


def work_queue(request: HttpRequest) -> dict[str, Any]:
    """`work_queue_count` for a role with work queues: one aggregate query, run only if a page
    shows it; nothing for the read-only roles."""
    user = getattr(request, "user", None)
    if not queues.queues_for(user):
        return {}
    return {
        "has_work_queue": True,
        "work_queue_count": SimpleLazyObject(lambda: queues.waiting_count(user)),
    }
