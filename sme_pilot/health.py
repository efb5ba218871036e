"""Probes for load balancers and process managers: /healthz (alive) and /readyz (can serve).

/healthz touches nothing: a process that answers it is up. /readyz checks what a request needs:
the database answers, Redis answers (when configured), and no migration is waiting. It also
reports the read replica (when configured: "ok", "down" while reads avoid it after a failure, or
"failed") and how many bytes of WAL it has still to replay, without making the process unready:
reads fall back to the primary (sme_pilot.db). Both answer
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

from . import db

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
    body: dict[str, object] = {"status": "ok" if ready else "unavailable", "checks": checks}
    if db.replica_configured():
        # Reported, never a reason to be unready: reads fall back to the primary.
        checks["replica"], lag = _replica()
        if lag is not None:
            body["replica_lag_bytes"] = lag
    body["ms"] = round((time.perf_counter() - started) * 1000, 1)
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


def _replica() -> tuple[str, int | None]:
    """The replica's state and the WAL bytes it has still to replay (None if unknown)."""
    try:
        replayed = db.replica_replay_lsn()
        current = db.primary_lsn()
    except Exception as exc:  # reported as failed; the reason goes to the log only
        logger.warning("readyz: replica failed: %s", exc)
        return "failed", None
    lag = max(0, current - replayed) if current is not None and replayed is not None else None
    return ("down" if db.replica_down() else "ok"), lag


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
