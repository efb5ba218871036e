"""The import-job sweeper's rules, on one database and with tasks run inline (no worker).

The drills show it recovering real failures; here each kind of job it may meet, and when.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cities.imports import jobs
from cities.models import Enterprise, ImportJob, ImportJobState
from sme_pilot import jobs as engine
from tests.cities.import_files import enterprise_file

pytestmark = [pytest.mark.drill, pytest.mark.django_db]

State = ImportJobState


@pytest.fixture
def new_job(city_official, sub_industry, drill_media):
    def make(state: str, *, attempts: int = 0, idle: dt.timedelta) -> ImportJob:
        upload = SimpleUploadedFile("名录.csv", enterprise_file(3))
        job = jobs.import_job_create(kind="enterprises", upload=upload, actor=city_official)
        # An attempt was claimed (claimed_at, the sweeper's clock for claimed jobs) when last
        # touched; a job with none is waiting since then.
        since = timezone.now() - idle
        ImportJob.objects.filter(pk=job.pk).update(
            state=state, attempts=attempts, updated_at=since, claimed_at=since if attempts else None
        )
        return job

    return make


def state_of(job: ImportJob) -> tuple[str, int, str]:
    job.refresh_from_db()
    return job.state, job.attempts, job.progress_message


def test_jobs_that_may_still_be_running_or_waiting_are_left_alone(new_job):
    claimed = new_job(State.IMPORTING, attempts=1, idle=dt.timedelta(minutes=20))
    waiting = new_job(State.UPLOADED, idle=dt.timedelta(minutes=4))
    before = [state_of(claimed), state_of(waiting)]

    assert jobs.import_jobs_sweep() == {"failed": 0, "requeued": 0, "enqueued": 0}
    assert [state_of(claimed), state_of(waiting)] == before


def test_a_never_enqueued_upload_is_validated_and_a_never_picked_import_is_imported(new_job):
    uploaded = new_job(State.UPLOADED, idle=dt.timedelta(minutes=6))
    confirmed = new_job(State.IMPORTING, idle=dt.timedelta(minutes=6))

    assert jobs.import_jobs_sweep() == {"failed": 0, "requeued": 0, "enqueued": 2}
    assert state_of(uploaded)[:2] == (State.VALIDATED, 1)
    assert state_of(confirmed)[:2] == (State.DONE, 1)
    assert Enterprise.objects.count() == 3


def test_a_job_left_claimed_is_requeued_until_it_is_out_of_attempts(new_job):
    idle = dt.timedelta(minutes=22)  # past the tasks' 20-minute hard time limit and the margin
    validating = new_job(State.VALIDATING, attempts=1, idle=idle)
    exhausted = new_job(State.IMPORTING, attempts=engine.MAX_ATTEMPTS, idle=idle)

    assert jobs.import_jobs_sweep() == {"failed": 1, "requeued": 1, "enqueued": 1}
    assert state_of(validating)[:2] == (State.VALIDATED, 2)
    assert state_of(exhausted) == (State.FAILED, engine.MAX_ATTEMPTS, jobs.STUCK_MESSAGE)
    assert Enterprise.objects.count() == 0
