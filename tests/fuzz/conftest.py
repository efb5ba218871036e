"""The fuzz runs on the permission matrix's seeded world: two cities, every role, assessments in
every state, report and import jobs. Seeded once per module inside a transaction; every fuzzed
request runs in its own savepoint, rolled back, so no example sees another's writes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from tests.conftest import drain
from tests.test_permission_matrix import _seed

SLOW = 2.0  # seconds: the bound on one request on test data


@pytest.fixture(scope="module")
def seeded_module(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("fuzz-media")
    with (
        override_settings(MEDIA_ROOT=str(media)),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield _seed()
        transaction.set_rollback(True)


@pytest.fixture
def db(seeded_module, django_db_blocker):
    """A savepoint per test inside the module's transaction (see test_permission_matrix.db)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seeded_module
        transaction.set_rollback(True)


@pytest.fixture
def world(db):
    return db


@dataclass
class Findings:
    """Every request that answered 5xx or took longer than SLOW, with what was sent."""

    problems: list[str] = field(default_factory=list)
    requests: int = 0
    slowest: float = 0.0

    def record(self, where: str, send: Callable[[], Any]) -> Any:
        """Send one request in a savepoint that is rolled back; note a 5xx or a slow answer."""
        with isolated():
            start = time.perf_counter()
            try:
                response = send()
                if getattr(response, "streaming", False):
                    drain(response)
            except Exception as exc:  # the test client re-raises what the view raised: a 500
                elapsed = time.perf_counter() - start
                self.problems.append(f"{where}: 500 ({type(exc).__name__}: {str(exc)[:120]})")
                response = None
            else:
                elapsed = time.perf_counter() - start
                if response.status_code >= 500:
                    self.problems.append(f"{where}: {response.status_code}")
            self.requests += 1
            self.slowest = max(self.slowest, elapsed)
            if elapsed > SLOW:
                self.problems.append(f"{where}: {elapsed:.2f} s")
        return response


@contextmanager
def isolated() -> Iterator[None]:
    cache.clear()  # throttles and lockouts must not carry over between examples
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def findings() -> Findings:
    return Findings()
