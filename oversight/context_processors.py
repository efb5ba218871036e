"""What every page's navigation shows of the pipeline: the 待办 count of the user's queues
(`projects.selectors.queues`).

The count is one aggregate over the projects the user sees, on every page an official opens:
at national scale (the largest city's 9,582 projects) about 45–100 ms a page. For the roles
whose projects are one city's or one district's, it is kept in the dashboard cache
(`oversight.dashboard_cache`) under that city's token, with the role and district in its key:
every write that can move a project between queues (each pipeline move, the projects import,
an enterprise moved to another district) replaces the token, so the badge is never older than
the last such write. An enterprise's or a provider's few projects are counted directly.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from accounts import policy
from accounts.models import Role
from projects.selectors import queues

from . import dashboard_cache

_CITY_SCOPED = frozenset({Role.CITY_OFFICIAL, Role.DISTRICT_OFFICIAL, Role.ASSESSOR})


def waiting_count(user: Any) -> int:
    """`queues.waiting_count(user)`, from the dashboard cache for the city-scoped roles."""
    role = policy.role_of(user)
    scope = policy.scope_of(user)
    if role not in _CITY_SCOPED or scope.city_id is None:
        return queues.waiting_count(user)
    return dashboard_cache.cached_for_city(
        f"work_queue:{role}:{scope.district_id or 0}",
        scope.city_id,
        timezone.localdate(),
        lambda: queues.waiting_count(user),
    )


def work_queue(request: HttpRequest) -> dict[str, Any]:
    """`work_queue_count` for a role with work queues, computed only if a page shows it;
    nothing for the read-only roles."""
    user = getattr(request, "user", None)
    if not queues.queues_for(user):
        return {}
    return {
        "has_work_queue": True,
        "work_queue_count": SimpleLazyObject(lambda: waiting_count(user)),
    }
