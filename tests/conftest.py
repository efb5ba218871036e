"""Personas shared by every test module: one fixture per role, and a second city and enterprise."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from accounts.models import Role
from tests.cities.factories import (
    CityFactory,
    DistrictFactory,
    EnterpriseFactory,
    SubIndustryFactory,
    UserFactory,
)

# Tests with real Celery workers need Redis and PostgreSQL. They skip before any fixture runs
# (a transactional test that is set up and then skipped still flushes the database); in CI the
# worker fixtures fail loudly instead of skipping.
HAS_WORKER_SERVICES = bool(os.environ.get("REDIS_URL")) and os.environ.get(
    "DATABASE_URL", ""
).startswith(("postgres://", "postgresql://"))
skip_without_worker_services = pytest.mark.skipif(
    not HAS_WORKER_SERVICES and not os.environ.get("CI"),
    reason="needs Redis (REDIS_URL) and PostgreSQL (DATABASE_URL)",
)


@pytest.fixture
def city(db):
    return CityFactory(code="HHHT", name="呼和浩特市")


@pytest.fixture
def other_city(db):
    return CityFactory(code="NB", name="宁波市")


@pytest.fixture
def sub_industry(city):
    return SubIndustryFactory(city=city, code="FOOD", name="特色食品")


@pytest.fixture
def other_sub_industry(other_city):
    return SubIndustryFactory(city=other_city, code="MOLD", name="模具")


@pytest.fixture
def enterprise(sub_industry):
    return EnterpriseFactory(sub_industry=sub_industry)


@pytest.fixture
def other_enterprise(other_sub_industry):
    return EnterpriseFactory(sub_industry=other_sub_industry)


@pytest.fixture
def enterprise_user(enterprise):
    return UserFactory(username="ent", role=Role.ENTERPRISE, enterprise=enterprise)


@pytest.fixture
def other_enterprise_user(other_enterprise):
    return UserFactory(username="ent2", role=Role.ENTERPRISE, enterprise=other_enterprise)


@pytest.fixture
def city_official(city):
    return UserFactory(username="official", role=Role.CITY_OFFICIAL, city=city)


@pytest.fixture
def other_city_official(other_city):
    return UserFactory(username="official2", role=Role.CITY_OFFICIAL, city=other_city)


@pytest.fixture
def assessor(city):
    return UserFactory(username="assessor", role=Role.ASSESSOR, city=city)


@pytest.fixture
def district(city):
    return DistrictFactory(city=city, code="D1", name="赛罕区")


@pytest.fixture
def district_official(city, district):
    return UserFactory(
        username="district", role=Role.DISTRICT_OFFICIAL, city=city, district=district
    )


@pytest.fixture
def provider(db):
    from providers.models import Provider

    return Provider.objects.create(
        uscc="91350100M000100Y43", name="示例数字科技有限公司", category="integrator"
    )


@pytest.fixture
def provider_user(provider):
    return UserFactory(username="provider", role=Role.PROVIDER, provider=provider)


@pytest.fixture
def province_official(city):
    return UserFactory(username="province", role=Role.PROVINCE_OFFICIAL, province=city.province)


@pytest.fixture
def ministry_user(db):
    return UserFactory(username="ministry", role=Role.MINISTRY)


@pytest.fixture
def admin_user_(db):
    return UserFactory(username="admin1", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def celery_worker(start_celery_worker):
    """A real Celery worker process on Redis, sharing this test's PostgreSQL database.

    Tests that are about background work use it; everything else runs tasks eagerly. The worker
    consumes only this test process's own queues (light tasks and PDF rendering).
    """
    return start_celery_worker()


@pytest.fixture
def start_celery_worker(transactional_db, settings):
    """Start real workers (`start_celery_worker(extra_env)` -> Popen); all are stopped at the end.

    A test may start more than one, e.g. to replace a worker it killed; `extra_env` reaches only
    that worker process.
    """
    from django.db import connection

    from sme_pilot.celery import app

    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url or connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("worker tests need REDIS_URL and a PostgreSQL DATABASE_URL in CI")
        pytest.skip("needs Redis (REDIS_URL) and PostgreSQL (DATABASE_URL)")
    database_url = this_runs_database_url()
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "sme_pilot.settings.test",
        "CELERY_QUEUE": queue,
        "CELERY_EAGER": "0",
    }
    procs: list[subprocess.Popen] = []

    def start(extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "sme_pilot",
                "worker",
                "--pool=solo",
                "-Q",
                f"{queue},{settings.REPORTS_PDF_QUEUE}",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "warning",
            ],
            env={**env, **(extra_env or {})},
            cwd=str(settings.BASE_DIR),
        )
        procs.append(proc)
        return proc

    app.conf.task_always_eager = False
    try:
        yield start
    finally:
        app.conf.task_always_eager = True
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.2, what: str = "condition"):
    """Poll `predicate` until it returns a truthy value, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def drain(response) -> bytes:
    """The whole body of a streaming response, with its file closed.

    A FileResponse keeps its file open until `close()`, and the test client's `close()` also
    sends request_finished, which closes the database connection of a test in a transaction;
    an unclosed file is reported later, under filterwarnings=error, by an unrelated test.
    """
    body = b"".join(response.streaming_content)
    file = getattr(response, "file_to_stream", None)
    if file is not None:
        file.close()
    return body


def this_runs_database_url() -> str:
    """This test run's PostgreSQL database as a URL, for a worker or command in a subprocess."""
    from django.db import connection

    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
