"""Celery tasks of the registry: thin wrappers that take ids and call one service each.

Small uploads are validated and imported in the request; uploads above
`settings.IMPORT_ASYNC_THRESHOLD_BYTES` go to a worker once the job row is committed.
"""

from __future__ import annotations

from celery import shared_task

from cities.imports import jobs
from cities.models import ImportJob


@shared_task(name="cities.import_job_validate")
def import_job_validate(job_id: int) -> None:
    job = jobs.import_job_validate(job_id=job_id)
    if job.auto_apply and jobs.import_job_request_apply(job=job):
        import_job_apply.delay_on_commit(job.pk)


@shared_task(name="cities.import_job_apply")
def import_job_apply(job_id: int) -> None:
    jobs.import_job_apply(job_id=job_id)


def import_job_start(job: ImportJob) -> None:
    """Validate the new job now, or in a worker after commit when its file is large."""
    if job.run_async:
        import_job_validate.delay_on_commit(job.pk)
        return
    job = jobs.import_job_validate(job_id=job.pk)
    if job.auto_apply and jobs.import_job_request_apply(job=job):
        jobs.import_job_apply(job_id=job.pk)


def import_job_confirm(job: ImportJob) -> bool:
    """Apply a validated job (now, or in a worker); False if it was not waiting for that."""
    if not jobs.import_job_request_apply(job=job):
        return False
    if job.run_async:
        import_job_apply.delay_on_commit(job.pk)
    else:
        jobs.import_job_apply(job_id=job.pk)
    return True
