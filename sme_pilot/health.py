"""Probes for load balancers and process managers: /healthz (alive) and /readyz (can serve).

/healthz touches nothing: a process that answers it is up. /readyz checks what a request needs:
the database answers, Redis answers (when configured), and no migration is waiting. Both answer
anyone (no login, no session, no CSRF) and say nothing beyond ok/failed per check, so they are
safe to expose to the load balancer's network.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS: Final = 2.0

# Set once every migration was seen applied; a process never "un-migrates", so later probes skip
# loading the migration graph (tens of milliseconds) and only check the connections.
_migrations_seen_applied = False


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    started = time.perf_counter()
    checks = {
        "database": _check(_database),
        "redis": _check(_redis),
        "migrations": _check(_migrations),
    }
    ready = all(value in ("ok", "not configured") for value in checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": checks,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    return JsonResponse(body, status=200 if ready else 503)


def _check(probe: Callable[[], str]) -> str:
    try:
        return probe()
    except Exception as exc:  # any failure means "not ready"; the reason goes to the log only
        logger.warning("readyz: %s failed: %s", probe.__name__, exc)
        return "failed"


def _database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _redis() -> str:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return "not configured"
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _migrations() -> str:
    global _migrations_seen_applied
    if _migrations_seen_applied:
        return "ok"
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return "pending"
    _migrations_seen_applied = True
    return "ok"
