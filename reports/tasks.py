"""Celery tasks of reports: thin wrappers that take ids and call one service each."""

from __future__ import annotations

from celery import shared_task

from . import services

# Seconds. A render took up to ~9 s for 2,000 table rows; these leave ample room. The broker's
# visibility_timeout (30 min) stays above the hard limit, so a running render is not redelivered.
RENDER_SOFT_TIME_LIMIT = 4 * 60
RENDER_HARD_TIME_LIMIT = 5 * 60


@shared_task(
    name="reports.render_report_job",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=RENDER_SOFT_TIME_LIMIT,
    time_limit=RENDER_HARD_TIME_LIMIT,
)
def render_report_job(job_id: int) -> None:
    services.report_job_run(job_id)


@shared_task(name="reports.sweep_report_jobs")
def sweep_report_jobs() -> None:
    services.report_jobs_sweep()
