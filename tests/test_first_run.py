"""`make run` without Redis: background work still runs in the background, through Celery's
filesystem transport (sme_pilot.settings.local), in a real worker process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection

from reports.models import ReportJob, ReportJobState
from tests.conftest import this_runs_database_url, wait_for

# Serialized rollback, like every transactional test: the reference data is back afterwards.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
QUEUE = f"sme-first-run-{os.getpid()}"

REQUEST = """
import django; django.setup()
from accounts.models import User
from reports.services import report_request
job = report_request(actor=User.objects.get(pk={user}), kind="city", city_code="{city}")
print(job.pk, job.state)
"""


def local_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_EAGER")}
    env.update(
        DJANGO_SETTINGS_MODULE="sme_pilot.settings.local",
        DATABASE_URL=this_runs_database_url(),
        CELERY_FILESYSTEM_BROKER_DIR=str(tmp_path / "broker"),
        CELERY_QUEUE=QUEUE,
        REPORTS_RENDERER="tests.reports.fakes.render",
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    return env


def test_a_report_request_answers_at_once_and_a_worker_renders_it(
    settings, tmp_path, city, sub_industry, city_official
):
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares this test's database: needs PostgreSQL")
    env = local_env(tmp_path)
    code = REQUEST.format(user=city_official.pk, city=city.code)
    asked = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    pk, state = asked.stdout.split()
    assert state == ReportJobState.QUEUED  # answered without rendering
    assert len(list((tmp_path / "broker" / "queue").iterdir())) == 1  # the task waits on disk

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "sme_pilot",
            "worker",
            "--pool=solo",
            "-Q",
            f"{QUEUE}.pdf",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        env=env,
        cwd=settings.BASE_DIR,
    )
    try:
        wait_for(
            lambda: ReportJob.objects.get(pk=pk).state == ReportJobState.DONE,
            timeout=60,
            what="the worker to render the report",
        )
    finally:
        worker.terminate()
        worker.wait(timeout=20)
