"""A Redis cache that a Redis outage turns into an empty cache, not into failed requests.

Everything we keep in the cache can be recomputed or is a convenience: dashboard figures, DRF
throttle counters, short-lived download tickets. With Django's `RedisCache` an unreachable Redis
makes every request that touches the cache a 500. `DegradingRedisCache` answers such a call as a
miss (reads return the default, writes do nothing and say so by their return value), logs a
warning, and skips Redis altogether for `RETRY_AFTER` seconds (process-wide), so a dead or
unreachable Redis costs a request at most one short connect timeout, not one per cache call.

Only outages are swallowed (refused, reset, timed out, Redis still loading, a failover under
way); a programming error (a wrong type, a serialisation failure) or a misconfiguration (not
Redis at that address) still raises.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Final, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MasterDownError, ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Refused, reset, timed out, still loading; a replica or a primary lost in a failover.
UNAVAILABLE: Final = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, MasterDownError)
# Seconds to skip Redis after a failure before trying it again.
RETRY_AFTER: Final = 5.0
# Short, so that an unreachable (not just stopped) Redis does not hold requests up.
DEFAULT_SOCKET_OPTIONS: Final = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}

# Per server string: monotonic time until which Redis is considered down. Shared by the
# per-thread backend instances of one process.
_down_until: dict[str, float] = {}
_lock = threading.Lock()


class DegradingRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = dict(params)
        params["OPTIONS"] = {**DEFAULT_SOCKET_OPTIONS, **(params.get("OPTIONS") or {})}
        super().__init__(server, params)
        self._server_key = server if isinstance(server, str) else ",".join(server)

    # -- the outage switch --------------------------------------------------------------------

    def _call(self, operation: str, call: Callable[[], T], fallback: T) -> T:
        if _down_until.get(self._server_key, 0.0) > time.monotonic():
            return fallback
        try:
            result = call()
        except UNAVAILABLE as exc:
            with _lock:
                was_up = _down_until.get(self._server_key, 0.0) == 0.0
                _down_until[self._server_key] = time.monotonic() + RETRY_AFTER
            logger.warning(
                "cache unavailable (%s failed: %s); %s without the cache for %.0f s",
                operation,
                exc,
                "continuing" if was_up else "still continuing",
                RETRY_AFTER,
            )
            return fallback
        if self._server_key in _down_until:
            with _lock:
                if _down_until.pop(self._server_key, None) is not None:
                    logger.info("cache available again")
        return result

    # -- RedisCache's operations, each with its answer for "Redis is not there" ---------------

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._call(
            "add", lambda: super(DegradingRedisCache, self).add(key, value, timeout, version), False
        )

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._call(
            "get", lambda: super(DegradingRedisCache, self).get(key, default, version), default
        )

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._call(
            "set", lambda: super(DegradingRedisCache, self).set(key, value, timeout, version), None
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._call(
            "touch", lambda: super(DegradingRedisCache, self).touch(key, timeout, version), False
        )

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._call(
            "delete", lambda: super(DegradingRedisCache, self).delete(key, version), False
        )

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        keys = list(keys)
        return self._call(
            "get_many", lambda: super(DegradingRedisCache, self).get_many(keys, version), {}
        )

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._call(
            "has_key", lambda: super(DegradingRedisCache, self).has_key(key, version), False
        )

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        missing = object()
        value = self._call(
            "incr", lambda: super(DegradingRedisCache, self).incr(key, delta, version), missing
        )
        if value is missing:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        assert isinstance(value, int)
        return value

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        # Django's contract: the keys that failed to be stored.
        return self._call(
            "set_many",
            lambda: super(DegradingRedisCache, self).set_many(data, timeout, version),
            list(data),
        )

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        keys = list(keys)
        self._call(
            "delete_many", lambda: super(DegradingRedisCache, self).delete_many(keys, version), None
        )

    def clear(self) -> None:
        self._call("clear", lambda: super(DegradingRedisCache, self).clear(), None)
