"""Celery tasks of the registry: thin wrappers that take ids and call one service each.

They are sent by name by the job engine (`sme_pilot.jobs`, kind `cities.imports.jobs.IMPORT_JOBS`);
nothing imports this module but Celery's autodiscovery, so services never import their tasks.
"""

from __future__ import annotations

from celery import shared_task

from cities.imports import jobs


@shared_task(name=jobs.VALIDATE.task)
def import_job_validate(job_id: int) -> None:
    jobs.import_job_validate_and_continue(job_id=job_id)


@shared_task(name=jobs.APPLY.task)
def import_job_apply(job_id: int) -> None:
    jobs.import_job_apply(job_id=job_id)


@shared_task(name="cities.sweep_import_jobs")
def sweep_import_jobs() -> None:
    jobs.import_jobs_sweep()
