"""Run several callables at once, each on its own thread and database connection.

For state changes that must happen once (submit, confirm, correct, import confirmation, report
requests): N requests are released together by a barrier and their results or exceptions
collected, so a test can assert one success and clean refusals.

A barrier alone leaves the interleaving to chance, and a race that is lost only sometimes makes
a test that fails only sometimes. `hold` removes the chance: while the threads start, this thread
stays inside a transaction that holds what the requests contend for (usually `locked(rows)`:
SELECT … FOR UPDATE) and leaves it only once every request is either finished or waiting for a
lock. So every request has made all the checks it makes before touching those rows, exactly as
when they all arrive within the same millisecond, and what happens next is decided by the code's
own locks and constraints.

PostgreSQL only: SQLite has no row locks, and writers on it block the whole file.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.db.models import QuerySet

from tests.conftest import wait_for

# Checked before any fixture runs: a transactional test that is set up and then skipped would
# still flush the database. In CI these tests run, and fail loudly if it is not on PostgreSQL.
needs_row_locks = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    and not os.environ.get("CI"),
    reason="needs PostgreSQL (DATABASE_URL=postgres://…): SQLite has no row locks, so "
    "concurrent requests cannot be raced there (CI runs on PostgreSQL)",
)

DEADLINE = 60.0  # seconds; a poll's limit, never a measure of the code under test


@dataclass
class Outcome:
    """What one call returned, or the exception it raised."""

    value: Any = None
    error: BaseException | None = None


@contextmanager
def locked(rows: QuerySet[Any]) -> Iterator[None]:
    """Hold these rows locked (FOR UPDATE) while the block runs."""
    with transaction.atomic():
        list(rows.select_for_update().values_list("pk", flat=True))
        yield


def run_at_once(
    calls: Sequence[Callable[[], Any]], *, hold: AbstractContextManager[Any] | None = None
) -> list[Outcome]:
    """Call every callable at the same moment on its own thread; their outcomes, in order.

    Each thread closes its database connections when its call is done. With `hold` (a context
    manager, e.g. `locked(rows)`), this thread stays inside it until every call is finished or
    waiting for a lock (see above).
    """
    outcomes = [Outcome() for _ in calls]
    barrier = threading.Barrier(len(calls))

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=DEADLINE)
            outcomes[index].value = call()
        except BaseException as exc:  # collected for the test to assert on
            outcomes[index].error = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(i, call), name=f"concurrent-{i}", daemon=True)
        for i, call in enumerate(calls)
    ]
    with hold if hold is not None else nullcontext():
        for thread in threads:
            thread.start()
        if hold is not None:
            wait_for(
                lambda: (
                    waiting_for_locks() + sum(not t.is_alive() for t in threads) >= len(threads)
                ),
                timeout=DEADLINE,
                what="every request to finish or wait for the held rows",
            )
    for thread in threads:
        thread.join(timeout=DEADLINE)
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        pytest.fail(f"still running after {DEADLINE:.0f}s: {', '.join(stuck)}")
    return outcomes


def waiting_for_locks() -> int:
    """Sessions of this test database that are waiting for a lock right now."""
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL would answer from its first snapshot of the activity.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def errors_of(outcomes: Sequence[Outcome]) -> list[BaseException]:
    """Exceptions the calls raised: a view that crashed re-raises through the test client.

    Django's test client hears of a crash through a process-wide signal, so a crash in one
    request is re-raised by every client that had a request in flight too: when a test fails
    here, the first traceback is the one that counts.
    """
    return [o.error for o in outcomes if o.error is not None]
