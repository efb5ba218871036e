"""Report jobs through real Celery workers (Redis + PostgreSQL), and a worker killed mid-render."""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from reports import services
from reports.models import ReportJob, ReportJobState
from tests.conftest import skip_without_worker_services, wait_for
from tests.reports import fakes

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    skip_without_worker_services,
]

FAKE_RENDERER = {"REPORTS_RENDERER": "tests.reports.fakes.render"}


def files_of(job: ReportJob) -> list[str]:
    folder = default_storage.path("reports")
    if not os.path.isdir(folder):
        return []
    return sorted(n for n in os.listdir(folder) if n.startswith(f"{job.kind}-{job.pk}-"))


def remove_files(job: ReportJob) -> None:
    for name in files_of(job):
        os.unlink(os.path.join(default_storage.path("reports"), name))


def state_is(job: ReportJob, state: str):
    def check():
        job.refresh_from_db()
        return job.state == state

    return check


def test_a_requested_report_is_rendered_by_a_worker(celery_worker, city_official, sub_industry):
    with transaction.atomic():
        job = services.report_request(actor=city_official, kind="city", city_code="HHHT")
    try:
        wait_for(state_is(job, ReportJobState.DONE), what="the worker to render the report")
        assert (job.attempts, job.progress_percent) == (1, 100)
        assert files_of(job) == [os.path.basename(job.file.name)]
        with job.file.open("rb") as handle:
            assert handle.read(5) == b"%PDF-"  # the real renderer
    finally:
        remove_files(job)


def test_a_worker_killed_mid_render_is_replaced_and_the_job_completes_once(
    start_celery_worker, city_official, sub_industry
):
    slow = start_celery_worker(
        {"REPORTS_RENDERER": "tests.reports.fakes.render_slowly", "FAKE_RENDER_SECONDS": "60"}
    )
    with transaction.atomic():
        job = services.report_request(actor=city_official, kind="city", city_code="HHHT")
    try:
        wait_for(state_is(job, ReportJobState.RENDERING), what="the worker to claim the job")
        os.kill(slow.pid, signal.SIGKILL)  # solo pool: the worker is the process rendering
        slow.wait(timeout=20)
        job.refresh_from_db()
        assert (job.state, job.attempts, files_of(job)) == (ReportJobState.RENDERING, 1, [])

        start_celery_worker(FAKE_RENDERER)
        # Redis would redeliver the unacknowledged task only after visibility_timeout (30 min):
        # run the sweeper as it would run by then.
        result = services.report_jobs_sweep(now=timezone.now() + dt.timedelta(hours=1))
        assert (result["requeued"], result["enqueued"]) == (1, 1)
        wait_for(state_is(job, ReportJobState.DONE), what="the new worker to render the report")
        assert job.attempts == 2 <= job.max_attempts
        assert files_of(job) == [os.path.basename(job.file.name)]
        with job.file.open("rb") as handle:
            assert handle.read() == fakes.FAKE_PDF
        assert not [n for n in os.listdir(default_storage.path("reports")) if n.endswith(".tmp")]
    finally:
        remove_files(job)
