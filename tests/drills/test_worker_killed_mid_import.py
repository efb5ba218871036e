"""Drill: the worker importing a large roster is SIGKILLed while it writes.

The worker has copied every enterprise row into its (open) transaction and waits on a SHARE
lock this test holds on the audit-trail table; the test kills the worker process there. The
database must hold none of the rows (never a part), the job must not stay "importing" forever:
the sweeper (celery beat) puts it back in the queue, and a new worker imports it exactly once.
"""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from cities.imports import jobs
from cities.models import Enterprise, ImportJob, ImportJobState
from tests.cities.import_files import enterprise_file
from tests.conftest import skip_without_worker_services, wait_for
from tests.drills.conftest import TableGate, backend_gone

pytestmark = [
    pytest.mark.drill,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    skip_without_worker_services,
]

ROWS = 3000


def state_is(job: ImportJob, state: str):
    def check():
        job.refresh_from_db()
        return job.state == state

    return check


def test_an_import_whose_worker_is_killed_is_all_or_nothing_and_completes_once(
    start_celery_worker, drill_media, client, settings, city_official, sub_industry
):
    settings.IMPORT_ASYNC_THRESHOLD_BYTES = 1000
    first = start_celery_worker(drill_media)
    client.force_login(city_official)
    upload = SimpleUploadedFile("大名录.csv", enterprise_file(ROWS))
    client.post(reverse("cities:import_list"), {"kind": "enterprises", "file": upload})
    job = ImportJob.objects.get()
    assert job.run_async
    wait_for(state_is(job, ImportJobState.VALIDATED), what="the worker to validate the file")

    with TableGate("cities_historicalenterprise") as gate:
        assert client.post(reverse("cities:import_confirm", args=[job.pk])).status_code == 302
        writing = gate.blocked()
        # The worker is in the middle of the write: every enterprise row is in its transaction,
        # and it waits on the audit trail's table (copied from them by INSERT … SELECT). Once in
        # CI (2026-12-06, with the counter triggers on the roster) pg_stat_activity still showed
        # the COPY as the waiting statement; not explained yet, so either text is accepted: what
        # the drill needs is the rows written and the wait on the history table's lock.
        assert writing.query.startswith(
            ('INSERT INTO "cities_historicalenterprise"', 'COPY "cities_enterprise"')
        ), writing.query
        assert "cities_enterprise" in writing.written
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=20)
    # Lock released: the orphaned backend finds its client gone and rolls back.
    wait_for(lambda: backend_gone(writing.pid), timeout=30, what="the dead worker's backend")

    assert Enterprise.objects.count() == 0
    assert Enterprise.history.filter(history_user=city_official).count() == 0
    job.refresh_from_db()
    assert (job.state, job.attempts, job.created_count) == (ImportJobState.IMPORTING, 1, ROWS)

    # Nothing would redeliver the task for 30 minutes (visibility_timeout): the sweeper, as beat
    # runs it, sees the job left behind once it cannot still be running, and requeues it.
    assert jobs.import_jobs_sweep() == {"failed": 0, "requeued": 0, "enqueued": 0}  # too soon
    later = timezone.now() + dt.timedelta(hours=1)
    assert jobs.import_jobs_sweep(now=later) == {"failed": 0, "requeued": 1, "enqueued": 1}
    fragment = client.get(reverse("cities:import_progress", args=[job.pk])).content.decode()
    assert "导入中断，已重新排队" in fragment

    start_celery_worker(drill_media)
    wait_for(state_is(job, ImportJobState.DONE), what="a new worker to import the file")
    assert (job.attempts, job.created_count) == (2, ROWS)
    imported = Enterprise.objects.filter(city=city_official.city)
    assert imported.count() == Enterprise.objects.count() == ROWS
    assert not imported.values("uscc").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert Enterprise.history.filter(history_user=city_official).count() == ROWS
    # Swept again later: nothing left to do (the job is done, not requeued a second time).
    assert jobs.import_jobs_sweep(now=later + dt.timedelta(hours=1))["enqueued"] == 0
