"""Report jobs: claim once, dedupe by snapshot, bursts, the sweeper, failures (tasks run inline)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from assessments.models import Assessment
from reports import services, tasks
from reports.models import ReportJob, ReportJobState
from tests.assessments.factories import AssessmentFactory
from tests.reports.fakes import FAKE_PDF

pytestmark = pytest.mark.django_db

LATER = dt.timedelta(hours=1)


def files_of(job: ReportJob) -> list[str]:
    folder = default_storage.path("reports")
    if not os.path.isdir(folder):
        return []
    return sorted(n for n in os.listdir(folder) if n.startswith(f"{job.kind}-{job.pk}-"))


def request_city(user, django_capture_on_commit_callbacks, code="HHHT"):
    with django_capture_on_commit_callbacks(execute=True):
        return services.report_request(actor=user, kind="city", city_code=code)


def test_request_renders_once_and_a_second_run_is_a_no_op(
    renderer, city_official, sub_industry, django_capture_on_commit_callbacks
):
    job = request_city(city_official, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.state, job.progress_percent, job.attempts) == (ReportJobState.DONE, 100, 1)
    assert job.enqueued_at is not None and job.finished_at is not None
    services.report_job_run(job.pk)  # a second delivery of the same task
    tasks.render_report_job(job.pk)
    job.refresh_from_db()
    assert renderer.calls == 1
    assert job.attempts == 1
    assert files_of(job) == [os.path.basename(job.file.name)]
    with job.file.open("rb") as handle:
        assert handle.read() == FAKE_PDF


def test_same_data_is_the_same_job_and_changed_data_a_new_one(
    renderer, city_official, enterprise, django_capture_on_commit_callbacks
):
    first = request_city(city_official, django_capture_on_commit_callbacks)
    again = request_city(city_official, django_capture_on_commit_callbacks)
    assert again.pk == first.pk
    assert renderer.calls == 1

    AssessmentFactory(enterprise=enterprise, confirmed=True)  # a level is confirmed
    changed = request_city(city_official, django_capture_on_commit_callbacks)
    assert changed.pk != first.pk
    assert changed.snapshot_hash != first.snapshot_hash
    assert renderer.calls == 2
    assert ReportJob.objects.count() == 2


def test_a_burst_of_identical_requests_makes_one_job(
    renderer, city_official, other_city_official, ministry_user, sub_industry
):
    # Nothing is enqueued until commit: the burst sees the queued job, not a finished one.
    jobs = [
        services.report_request(actor=user, kind="city", city_code="HHHT")
        for user in [city_official, city_official, ministry_user, city_official]
    ]
    assert {j.pk for j in jobs} == {jobs[0].pk}
    assert ReportJob.objects.count() == 1
    assert set(jobs[0].requesters.all()) == {city_official, ministry_user}
    assert renderer.calls == 0


def test_enqueue_failure_keeps_the_job_queued_and_the_sweeper_sends_it_later(
    renderer, monkeypatch, city_official, sub_industry, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.render_report_job, "delay", broker_down)
    job = request_city(city_official, django_capture_on_commit_callbacks)  # no error for the user
    job.refresh_from_db()
    assert (job.state, job.enqueued_at) == (ReportJobState.QUEUED, None)

    monkeypatch.undo()
    assert services.report_jobs_sweep()["enqueued"] == 0  # not yet overdue
    result = services.report_jobs_sweep(now=timezone.now() + LATER)
    job.refresh_from_db()
    assert result["enqueued"] == 1
    assert job.state == ReportJobState.DONE
    assert renderer.calls == 1


def test_sweeper_requeues_a_job_stuck_in_rendering(
    renderer, city_official, sub_industry, django_capture_on_commit_callbacks
):
    with transaction.atomic():
        job = services.report_request(actor=city_official, kind="city", city_code="HHHT")
    # A worker claimed it and died: the row says rendering, attempt 1, nothing else happens.
    ReportJob.objects.filter(pk=job.pk).update(
        state=ReportJobState.RENDERING, attempts=1, claimed_at=timezone.now()
    )
    assert services.report_jobs_sweep()["requeued"] == 0  # it may still be running
    with django_capture_on_commit_callbacks(execute=True):
        result = services.report_jobs_sweep(now=timezone.now() + LATER)
    job.refresh_from_db()
    assert (result["requeued"], result["enqueued"]) == (1, 1)
    assert (job.state, job.attempts) == (ReportJobState.DONE, 2)
    assert len(files_of(job)) == 1


def test_sweeper_fails_a_job_out_of_attempts_with_the_reason(renderer, city_official, sub_industry):
    job = services.report_request(actor=city_official, kind="city", city_code="HHHT")
    ReportJob.objects.filter(pk=job.pk).update(
        state=ReportJobState.RENDERING, attempts=3, claimed_at=timezone.now()
    )
    result = services.report_jobs_sweep(now=timezone.now() + LATER)
    job.refresh_from_db()
    assert result["failed"] == 1
    assert job.state == ReportJobState.FAILED
    assert job.attempts == 3
    assert "中断" in job.error_message
    assert not job.file
    assert renderer.calls == 0


def test_a_transient_failure_is_retried(
    renderer, city_official, sub_industry, django_capture_on_commit_callbacks
):
    renderer.fail = 1
    job = request_city(city_official, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.state, job.attempts, renderer.calls) == (ReportJobState.DONE, 2, 2)
    assert len(files_of(job)) == 1


def test_a_permanent_failure_ends_failed_with_the_reason_and_no_file(
    renderer, city_official, sub_industry, django_capture_on_commit_callbacks
):
    renderer.fail = 99
    job = request_city(city_official, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.state == ReportJobState.FAILED
    assert job.attempts == job.max_attempts == 3
    assert renderer.calls == 3
    assert "字体缺失" in job.error_message
    assert "已尝试 3 次" in job.progress_message
    assert not job.file
    assert files_of(job) == []
    assert not [n for n in os.listdir(default_storage.path("")) if n.endswith(".tmp")]
    # A failed job is not reused: asking again makes a fresh job.
    renderer.fail = 0
    again = request_city(city_official, django_capture_on_commit_callbacks)
    again.refresh_from_db()
    assert again.pk != job.pk and again.state == ReportJobState.DONE


def test_the_assessment_report_is_deduplicated_too(
    renderer, enterprise_user, enterprise, django_capture_on_commit_callbacks
):
    assessment: Assessment = AssessmentFactory(enterprise=enterprise, submitted=True)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.report_request(
            actor=enterprise_user, kind="assessment", assessment_id=assessment.pk
        )
        second = services.report_request(
            actor=enterprise_user, kind="assessment", assessment_id=assessment.pk
        )
    assert first.pk == second.pk
    assert first.params == {"assessment_id": assessment.pk, "as_of": str(timezone.localdate())}
    assert renderer.calls == 1
