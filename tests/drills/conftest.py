"""Fault-drill tools: a backend terminated mid-write, a private Redis to stop, private media.

Everything here drives real parts: PostgreSQL's own `LOCK TABLE` and `pg_terminate_backend`, a
`redis-server` process of the test's own, and Celery workers started by `start_celery_worker`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.conftest import wait_for

WORKER_SETTINGS = "tests.drills.worker_settings"


# --- PostgreSQL ------------------------------------------------------------------------------


def pg_connect() -> psycopg.Connection:
    """A connection of our own to the test database, outside Django (autocommit)."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=int(db["PORT"] or 5432),
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )


def backend_pid() -> int:
    """The PostgreSQL backend of this thread's Django connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def backend_gone(pid: int) -> bool:
    with pg_connect() as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
        return row is not None and row[0] == 0


@dataclass
class Blocked:
    pid: int
    query: str
    # Tables the blocked transaction has already written to (it holds RowExclusiveLock).
    written: set[str]


class TableGate:
    """Holds a SHARE lock on `table`, so that a transaction writing to it waits right there.

    The statements before that write have run; the transaction is open, its rows uncommitted.
    `blocked()` names the backend that waits, and what it has written so far. Optionally
    (`terminate=True`) a thread does it all while the caller's own thread is busy in a request:
    the first backend to block is terminated with `pg_terminate_backend`, as if the connection
    dropped mid-write. The lock is released when the block exits, or once the victim is gone.
    """

    def __init__(self, table: str, *, terminate: bool = False, timeout: float = 30.0) -> None:
        self.table = table
        self.terminate = terminate
        self.timeout = timeout
        self.victim: Blocked | None = None
        self.error: BaseException | None = None
        self._locker: psycopg.Connection | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> TableGate:
        self._locker = pg_connect()
        self._locker.autocommit = False
        self._locker.execute(f'LOCK TABLE "{self.table}" IN SHARE MODE')
        if self.terminate:
            self._thread = threading.Thread(target=self._terminate_first_blocked, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._thread.join(self.timeout + 10)
        self._release()

    def _release(self) -> None:
        if self._locker is not None:
            self._locker.rollback()
            self._locker.close()
            self._locker = None

    def blocked(self) -> Blocked:
        """Wait for a backend to block on our lock; what it runs and what it has written."""
        assert self._locker is not None
        locker_pid = self._locker.info.backend_pid
        deadline = time.monotonic() + self.timeout
        with pg_connect() as watcher:
            while time.monotonic() < deadline:
                row = watcher.execute(
                    "SELECT pid, query FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                    [locker_pid],
                ).fetchone()
                if row is not None:
                    written = watcher.execute(
                        "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                        "WHERE l.pid = %s AND l.granted AND l.mode = 'RowExclusiveLock'",
                        [row[0]],
                    ).fetchall()
                    return Blocked(int(row[0]), str(row[1]), {r[0] for r in written})
                time.sleep(0.05)
        raise TimeoutError(f"no backend blocked on {self.table} within {self.timeout:.0f}s")

    def _terminate_first_blocked(self) -> None:
        try:
            victim = self.blocked()
            with pg_connect() as killer:
                killer.execute("SELECT pg_terminate_backend(%s)", [victim.pid])
                deadline = time.monotonic() + self.timeout
                while time.monotonic() < deadline:
                    gone = killer.execute(
                        "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = %s", [victim.pid]
                    ).fetchone()
                    if gone and gone[0]:
                        break
                    time.sleep(0.05)
            self.victim = victim
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc
        finally:
            self._release()


# --- Redis -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A `redis-server` of this test's own, on a free port, that the test may stop and restart."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.binary and self.proc is None
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, timeout=10, interval=0.05, what=f"redis-server on {self.port}")

    def stop(self) -> None:
        """SIGTERM: with `--save ''` Redis exits at once and keeps nothing."""
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc = None
        assert not self.answers()

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def dbsize(self) -> int:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"DBSIZE\r\n")
            reply = sock.recv(64)
        assert reply.startswith(b":"), reply
        return int(reply[1:].strip())


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    if server.binary is None:
        if os.environ.get("CI"):
            pytest.fail("the Redis drill needs redis-server on PATH")
        pytest.skip("needs redis-server on PATH")
    server.start()
    try:
        yield server
    finally:
        if server.proc is not None:
            server.proc.terminate()
            server.proc.wait(timeout=10)


def point_celery_at(broker_url: str) -> None:
    """Send this process's tasks to `broker_url` from now on.

    kombu keeps its connection and producer pools in process-wide registries: reset those too
    (closing a pool but leaving it registered would hand it out again, closed).
    """
    from kombu import pools

    from sme_pilot.celery import app

    pools.reset()
    app.conf.broker_url = broker_url
    app._pool = None
    app.amqp._producer_pool = None


# --- media shared with the workers -----------------------------------------------------------


@pytest.fixture
def drill_media(tmp_path, settings) -> dict[str, str]:
    """A MEDIA_ROOT of this test's own (other runs share .test-media), for workers too.

    Returns the environment a worker needs to use it (pass it to `start_celery_worker`).
    """
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    return {"DJANGO_SETTINGS_MODULE": WORKER_SETTINGS, "DRILL_MEDIA_ROOT": str(media)}
