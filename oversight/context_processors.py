"""What every page's navigation shows of the pipeline: the 待办 count of the user's queues
(`projects.selectors.queues.waiting_count`).

For the roles whose projects are one city's or one district's, the count is a sum over the kept
project counters of that city or district (`ProjectCount`'s `waiting_*` columns, kept by the
database in the transaction of every write, docs/rules.md "Kept project counters"): a few rows,
read on every page without a cache, so the badge is never older than the last write. An
enterprise's or a provider's few projects are counted directly. (Counted, the largest city's
9,582 projects took 0.12 s at national scale, and every stage move in the city recomputed it.)
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from projects.selectors import queues


def work_queue(request: HttpRequest) -> dict[str, Any]:
    """`work_queue_count` for a role with work queues, computed only if a page shows it;
    nothing for the read-only roles."""
    user = getattr(request, "user", None)
    if not queues.queues_for(user):
        return {}
    return {
        "has_work_queue": True,
        "work_queue_count": SimpleLazyObject(lambda: queues.waiting_count(user)),
    }
