"""Celery tasks of the registry: thin wrappers that take ids and call one service each.

Small uploads are validated and imported in the request; uploads above
`settings.IMPORT_ASYNC_THRESHOLD_BYTES` go to a worker once the job row is committed. If Redis is
down then, the job stays waiting and `sweep_import_jobs` (celery beat) enqueues it later.
"""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.db import transaction

from cities.imports import jobs
from cities.models import ImportJob, ImportJobState


@shared_task(name="cities.import_job_validate")
def import_job_validate(job_id: int) -> None:
    job = jobs.import_job_validate(job_id=job_id)
    if job.auto_apply and jobs.import_job_request_apply(job=job):
        _enqueue_on_commit(job.pk, ImportJobState.IMPORTING)


@shared_task(name="cities.import_job_apply")
def import_job_apply(job_id: int) -> None:
    jobs.import_job_apply(job_id=job_id)


@shared_task(name="cities.sweep_import_jobs")
def sweep_import_jobs() -> None:
    jobs.import_jobs_sweep()


def import_job_start(job: ImportJob) -> None:
    """Validate the new job now, or in a worker after commit when its file is large."""
    if job.run_async:
        _enqueue_on_commit(job.pk, ImportJobState.UPLOADED)
        return
    job = jobs.import_job_validate(job_id=job.pk)
    if job.auto_apply and jobs.import_job_request_apply(job=job):
        jobs.import_job_apply(job_id=job.pk)


def import_job_confirm(job: ImportJob) -> bool:
    """Apply a validated job (now, or in a worker); False if it was not waiting for that."""
    if not jobs.import_job_request_apply(job=job):
        return False
    if job.run_async:
        _enqueue_on_commit(job.pk, ImportJobState.IMPORTING)
    else:
        jobs.import_job_apply(job_id=job.pk)
    return True


def _enqueue_on_commit(job_id: int, state: str) -> None:
    # Never raises: with the broker down the job waits for the sweeper instead of the request
    # failing after its job was committed.
    transaction.on_commit(partial(jobs.import_job_enqueue, job_id, state))
