"""Celery tasks of reports: thin wrappers that take ids and call one service each.

The job engine (`sme_pilot.jobs`) sends them by name; services never import this module.
"""

from __future__ import annotations

from celery import shared_task

from . import dossier_archive, services


@shared_task(
    name=services.RENDER.task,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=services.RENDER_SOFT_TIME_LIMIT,
    time_limit=services.RENDER_HARD_TIME_LIMIT,
)
def render_report_job(job_id: int) -> None:
    services.report_job_run(job_id)


@shared_task(name="reports.sweep_report_jobs")
def sweep_report_jobs() -> None:
    services.report_jobs_sweep()


@shared_task(
    name=dossier_archive.PACK.task,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=dossier_archive.PACK_SOFT_TIME_LIMIT,
    time_limit=dossier_archive.PACK_HARD_TIME_LIMIT,
)
def pack_dossier_archive(archive_id: int) -> None:
    dossier_archive.archive_run(archive_id)


@shared_task(name="reports.sweep_dossier_archives")
def sweep_dossier_archives() -> None:
    dossier_archive.archives_sweep()
