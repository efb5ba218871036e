"""Per-city cache of dashboard figures, invalidated by version tokens.

Every cached value's key holds the city id, the `as_of` date, a global token and the city's own
token. Writes that change a city's figures (a confirmed assessment, an import, an enterprise
edit, a batch or target change) replace the token after their transaction commits, so the next
read misses and recomputes: nobody sees figures older than the last such change. Old entries
are never deleted, only no longer looked up; they expire after `TIMEOUT`.

A reader takes the token *before* computing and stores under that token, so a computation that
raced with a write is stored under a token nobody asks for any more.

With a read replica (`sme_pilot.db`), a token also carries the primary's WAL position when it
was made (`<uuid>@<lsn>`), and a value is computed on the replica only once the replica has
replayed that far (else on the primary): a figure cached under a token is never older than the
change that made the token, whoever computes it, so a writer never finds their own change
missing behind another reader's lagging computation.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Final, TypeVar

from django.core.cache import cache
from django.db import transaction

from cities.models import PilotCity
from sme_pilot.db import format_lsn, parse_lsn, primary_lsn, replica_reads_since

T = TypeVar("T")

TIMEOUT: Final = 60 * 60  # seconds; freshness comes from the tokens, not from expiry
_PREFIX: Final = "dash:v2"  # v2: the funnel rows carry their ids (project list links)
_ALL: Final = f"{_PREFIX}:token:all"


def _token_key(city_id: int) -> str:
    return f"{_PREFIX}:token:city:{city_id}"


def _new_token(lsn: int | None = None) -> str:
    token = uuid.uuid4().hex
    return f"{token}@{format_lsn(lsn)}" if lsn is not None else token


def _token_lsn(*tokens: str) -> int | None:
    """The latest WAL position the tokens were made at (None: no replica, or older tokens)."""
    positions = [parse_lsn(part.partition("@")[2]) for token in tokens for part in token.split(".")]
    known = [p for p in positions if p is not None]
    return max(known) if known else None


def _tokens(city_ids: Iterable[int]) -> dict[int, str]:
    """The current token of each city, prefixed with the global one (one cache round trip).

    A missing token (never set, or evicted) is created fresh rather than read as a default: a
    default could match entries stored before an invalidation whose token was later evicted.
    """
    ids = list(dict.fromkeys(city_ids))
    keys = {_token_key(i): i for i in ids}
    found = cache.get_many([_ALL, *keys])
    if _ALL not in found:
        cache.add(_ALL, _new_token(primary_lsn()), None)
        found[_ALL] = cache.get(_ALL) or ""
    for key in keys:
        if key not in found:
            cache.add(key, _new_token(primary_lsn()), None)
            found[key] = cache.get(key) or ""
    return {city_id: f"{found[_ALL]}.{found[key]}" for key, city_id in keys.items()}


def _data_key(kind: str, city_id: int, as_of: dt.date, token: str) -> str:
    return f"{_PREFIX}:{kind}:{city_id}:{as_of.isoformat()}:{token}"


def cached_for_city(kind: str, city_id: int, as_of: dt.date, compute: Callable[[], T]) -> T:
    """`compute()`'s value for one city and date, from the cache while nothing has changed."""
    token = _tokens([city_id])[city_id]
    key = _data_key(kind, city_id, as_of, token)
    value: Any = cache.get(key)
    if value is None:
        with replica_reads_since(_token_lsn(token)):
            value = compute()
        cache.set(key, value, TIMEOUT)
    return value  # type: ignore[no-any-return]


def cached_for_cities(
    kind: str,
    city_ids: Iterable[int],
    as_of: dt.date,
    compute: Callable[[list[int]], dict[int, T]],
) -> dict[int, T]:
    """Values for many cities: cached ones read at once, the rest computed in one call."""
    tokens = _tokens(city_ids)
    keys = {city_id: _data_key(kind, city_id, as_of, t) for city_id, t in tokens.items()}
    found = cache.get_many(list(keys.values()))
    values: dict[int, T] = {c: found[k] for c, k in keys.items() if k in found}
    missing = [c for c in keys if c not in values]
    if missing:
        with replica_reads_since(_token_lsn(*(tokens[c] for c in missing))):
            computed = compute(missing)
        cache.set_many({keys[c]: v for c, v in computed.items()}, TIMEOUT)
        values.update(computed)
    return values


def invalidate_city(city_id: int | None) -> None:
    if city_id is not None:
        cache.set(_token_key(city_id), _new_token(primary_lsn()), None)


def invalidate_cities(city_ids: Iterable[int | None]) -> None:
    ids = {i for i in city_ids if i is not None}
    if ids:
        lsn = primary_lsn()
        cache.set_many({_token_key(i): _new_token(lsn) for i in ids}, None)


def invalidate_batch(batch_id: int) -> None:
    invalidate_cities(PilotCity.objects.filter(batch_id=batch_id).values_list("pk", flat=True))


def invalidate_all() -> None:
    cache.set(_ALL, _new_token(primary_lsn()), None)


def invalidate_city_on_commit(*city_ids: int | None) -> None:
    """Invalidate after the current transaction commits (at once outside a transaction)."""
    ids = list(city_ids)
    transaction.on_commit(lambda: invalidate_cities(ids))
