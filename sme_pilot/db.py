"""Reads on a streaming replica, only where marked, never missing the reader's own write.

With `DATABASE_REPLICA_URL` set (settings `DATABASES["replica"]`), `ReplicaRouter` sends a read
to the replica only inside a block marked `replica_reads()` (the dashboards, the exports, the
report snapshots: read-only work that may be a moment behind), and only when:

- the replica is configured and not marked down (a connection error marks it down for
  `DATABASE_REPLICA_RETRY_SECONDS`; reads go to the primary meanwhile);
- no transaction is open on the primary (a block inside one must see its uncommitted rows);
- the request has not written anything itself (an unsafe method, or an INSERT/UPDATE/DELETE seen
  on the primary so far): a page that follows its own write reads the primary;
- the replica has replayed the reader's own last write. `ReadYourWritesMiddleware` records the
  primary's WAL position (`pg_current_wal_lsn()`) after a request that wrote, in a signed
  cookie; a block compares it once with the replica's `pg_last_wal_replay_lsn()` and reads the
  primary while the replica is behind. A block may add its own bound (`min_lsn`, e.g. the
  position of the last change of a cached figure: oversight.dashboard_cache).

A block decides once, at its first read, and all its reads go to one database. Used as a
decorator, a block that fails on the replica (connection lost, a query cancelled by recovery)
runs again on the primary, so the page still answers: decorate read-only functions only (a
view that only reads, a snapshot builder), since the function runs twice. Outside any block,
and for every write, the router answers the primary; migrations run on the primary only.

Without the replica alias (development, tests, a single database) every function here answers
"primary" without a query, and the middleware removes itself (`MiddlewareNotUsed`).
"""

from __future__ import annotations

import contextvars
import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, ParamSpec, TypeVar

from django.conf import settings
from django.core import signing
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponseBase

logger = logging.getLogger(__name__)

REPLICA: Final = "replica"
PRIMARY: Final = DEFAULT_DB_ALIAS
COOKIE: Final = "sme_wal"
_COOKIE_SALT: Final = "sme_pilot.db.wal"
# The cookie outlives any sane replica lag; it is dropped as soon as the replica is seen past it.
COOKIE_MAX_AGE: Final = 3600
_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_WRITES: Final = ("INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE")
DATABASE_ERRORS: Final = (OperationalError, InterfaceError)

P = ParamSpec("P")
T = TypeVar("T")


# --- WAL positions -----------------------------------------------------------------------------


def parse_lsn(text: str | None) -> int | None:
    """PostgreSQL's `16/B374D848` as a number (None for None or anything malformed)."""
    if not text:
        return None
    high, sep, low = text.partition("/")
    if not sep or not high or not low or len(high) > 8 or len(low) > 8:
        return None
    try:
        return (int(high, 16) << 32) | int(low, 16)
    except ValueError:
        return None


def format_lsn(lsn: int) -> str:
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def primary_lsn() -> int | None:
    """The primary's current WAL position; None (and no query) without a replica."""
    if not replica_configured() or connections[PRIMARY].vendor != "postgresql":
        return None
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        row = cursor.fetchone()
    return parse_lsn(row[0] if row else None)


def replica_replay_lsn() -> int | None:
    """How far the replica has replayed (its own position once promoted). Raises on failure."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(
            "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
            " ELSE pg_current_wal_lsn() END)::text"
        )
        row = cursor.fetchone()
    return parse_lsn(row[0] if row else None)


# --- health ------------------------------------------------------------------------------------

_down_until = 0.0


def replica_down() -> bool:
    return time.monotonic() < _down_until


def mark_replica_down(reason: object) -> None:
    """Reads go to the primary for DATABASE_REPLICA_RETRY_SECONDS; the broken connection goes."""
    global _down_until
    seconds = float(getattr(settings, "DATABASE_REPLICA_RETRY_SECONDS", 10.0))
    _down_until = time.monotonic() + seconds
    logger.warning(
        "database replica marked down for %.0f s, reading the primary: %s", seconds, reason
    )
    _close_replica()


def mark_replica_up() -> None:
    """Forget a failure (tests; an operator's shell after fixing the replica)."""
    global _down_until
    _down_until = 0.0


def _close_replica() -> None:
    if not replica_configured():
        return
    conn = connections[REPLICA]
    try:
        conn.close()
    except Exception:  # closing a dead connection may itself fail; it is gone either way
        conn.connection = None


def _replica_broken() -> bool:
    if not replica_configured():
        return False
    conn = connections[REPLICA]
    if conn.connection is None:
        return True  # the connection was never made: connecting failed
    try:
        return not conn.is_usable()
    except Exception:
        return True


# --- per request: the reader's own writes ------------------------------------------------------


@dataclass
class _Request:
    written_lsn: int | None  # the reader's last write (from the cookie), if not yet seen replayed
    unsafe: bool  # POST, PUT, PATCH, DELETE: may write, so its position is recorded after it
    wrote: bool = False  # an INSERT/UPDATE/DELETE went to the primary during this request
    caught_up: bool = False  # a block saw the replica past `written_lsn`

    def watch(self, execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if not self.wrote and sql.lstrip()[:8].upper().startswith(_WRITES):
            self.wrote = True
        return execute(sql, *args)


_request: contextvars.ContextVar[_Request | None] = contextvars.ContextVar(
    "sme_replica_request", default=None
)


class ReadYourWritesMiddleware:
    """Remembers where the primary was after a request that wrote, so that the same browser's
    next replica read waits for the replica to get there (reads the primary until then)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        unsafe = request.method not in _SAFE_METHODS
        state = _Request(written_lsn=_cookie_lsn(request), unsafe=unsafe)
        token = _request.set(state)
        try:
            with connections[PRIMARY].execute_wrapper(state.watch):
                response = self.get_response(request)
        finally:
            _request.reset(token)
        if state.wrote or state.unsafe:
            try:
                lsn = primary_lsn()
            except DATABASE_ERRORS:
                lsn = None  # the primary is gone; its error page is already the answer
            if lsn is not None:
                response.set_signed_cookie(
                    COOKIE,
                    format_lsn(lsn),
                    salt=_COOKIE_SALT,
                    max_age=COOKIE_MAX_AGE,
                    httponly=True,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                )
        elif state.caught_up:
            response.delete_cookie(COOKIE, samesite="Lax")
        return response


def _cookie_lsn(request: HttpRequest) -> int | None:
    try:
        value = request.get_signed_cookie(
            COOKIE, default=None, salt=_COOKIE_SALT, max_age=COOKIE_MAX_AGE
        )
    except signing.BadSignature:
        return None
    return parse_lsn(value)


# --- blocks ------------------------------------------------------------------------------------


@dataclass
class _Block:
    min_lsn: int | None
    use_replica: bool = True  # False: a rerun after the replica failed
    alias: str | None = None  # decided at the first read
    used_replica: bool = False


_block: contextvars.ContextVar[_Block | None] = contextvars.ContextVar(
    "sme_replica_block", default=None
)


def _max(*values: int | None) -> int | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


@contextmanager
def _enter(min_lsn: int | None, *, use_replica: bool = True) -> Iterator[_Block]:
    outer = _block.get()
    if outer is not None:
        min_lsn = _max(min_lsn, outer.min_lsn)
        use_replica = use_replica and outer.use_replica
    block = _Block(min_lsn=min_lsn, use_replica=use_replica)
    token = _block.set(block)
    try:
        yield block
    finally:
        _block.reset(token)
        if outer is not None and block.used_replica:
            outer.used_replica = True


class replica_reads:  # used like a function: @replica_reads(), with replica_reads()
    """Marks read-only work that may read the replica (see the module's docstring).

    As a decorator, a failure on the replica reruns the function on the primary once (only the
    outermost block reruns; inner ones let the error reach it). As a `with` block there is no
    rerun: the replica is marked down and the error propagates.
    """

    def __init__(self, *, min_lsn: int | None = None) -> None:
        self.min_lsn = min_lsn
        self._context: Any = None
        self._block: _Block | None = None

    def __enter__(self) -> None:
        self._context = _enter(self.min_lsn)
        self._block = self._context.__enter__()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        block = self._block
        failed = isinstance(exc, DATABASE_ERRORS) and block is not None and block.used_replica
        if failed and _replica_broken():
            mark_replica_down(exc)
        self._context.__exit__(exc_type, exc, tb)

    def __call__(self, function: Callable[P, T]) -> Callable[P, T]:
        min_lsn = self.min_lsn

        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            outermost = _block.get() is None
            with _enter(min_lsn) as block:
                try:
                    return function(*args, **kwargs)
                except DATABASE_ERRORS as exc:
                    if not (outermost and block.used_replica):
                        raise
                    if _replica_broken():
                        mark_replica_down(exc)
                    else:
                        logger.info("read on the replica failed, reading the primary: %s", exc)
            with _enter(min_lsn, use_replica=False):
                return function(*args, **kwargs)

        return wrapper


@contextmanager
def replica_reads_since(lsn: int | None) -> Iterator[None]:
    """Within a replica block, reads here must include WAL position `lsn` (else the primary).
    Outside a block it changes nothing: those reads go to the primary anyway."""
    if _block.get() is None or lsn is None:
        yield
        return
    with _enter(lsn):
        yield


def choose_read_alias() -> str:
    """The database for a read now: the replica only inside a block that may use it."""
    block = _block.get()
    if block is None or not block.use_replica:
        return PRIMARY
    if block.alias is None:
        block.alias = _decide(block)
    if block.alias == REPLICA:
        block.used_replica = True
    return block.alias


def _decide(block: _Block) -> str:
    if not replica_configured() or replica_down():
        return PRIMARY
    if connections[PRIMARY].in_atomic_block:
        return PRIMARY  # the block must see this transaction's own rows
    request = _request.get()
    if request is not None and request.wrote:
        return PRIMARY  # a page that follows its own write reads the primary
    needed = _max(block.min_lsn, request.written_lsn if request is not None else None)
    try:
        replayed = _replica_position(needed)
    except DATABASE_ERRORS as exc:
        mark_replica_down(exc)
        return PRIMARY
    if needed is not None and (replayed is None or replayed < needed):
        logger.debug(
            "replica behind (%s < %s), reading the primary",
            format_lsn(replayed) if replayed is not None else "-",
            format_lsn(needed),
        )
        return PRIMARY
    if request is not None and request.written_lsn is not None:
        request.caught_up = True
    return REPLICA


def _replica_position(needed: int | None) -> int | None:
    """Connects to the replica (raising if it cannot) and, if a position is needed, reads how far
    it has replayed: one query, and only for a reader with a recent write of their own."""
    connections[REPLICA].ensure_connection()
    return replica_replay_lsn() if needed is not None else None


class ReplicaRouter:
    """Reads: `choose_read_alias()`. Writes, relations across aliases, migrations: the primary."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        return choose_read_alias()

    def db_for_write(self, model: type, **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY
