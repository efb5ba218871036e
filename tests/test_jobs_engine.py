"""The job engine (sme_pilot.jobs) on its own: claim, attempts, enqueue, sweep, one clock.

A test kind runs on the report-job table and sends a task of this module, which (eager, as in
every test without a worker) records the ids it was sent. Imports and reports use the engine
through their own kinds: tests/drills/test_import_sweeper.py, tests/reports/test_jobs.py and the
drills show it recovering real failures.
"""

from __future__ import annotations

import ast
import datetime as dt
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from cities.imports.jobs import IMPORT_JOBS
from reports.models import ReportJob, ReportJobState
from reports.services import REPORT_JOBS
from sme_pilot import jobs
from sme_pilot.celery import app
from tests.concurrency import locked, needs_row_locks, run_at_once

State = ReportJobState
ROOT = Path(__file__).resolve().parent.parent
SENT: list[int] = []


@app.task(name="tests.test_jobs_engine.record")
def record(job_id: int) -> None:
    SENT.append(job_id)


STEP = jobs.Step(
    waiting=State.QUEUED,
    running=State.RENDERING,
    task="tests.test_jobs_engine.record",
    requeued_message="中断，已重新排队",
)
KIND = jobs.JobKind(
    name="test job",
    model=ReportJob,
    steps=(STEP,),
    failed_state=State.FAILED,
    exhausted_message="多次中断，已停止重试",
    hard_time_limit=120,
    message_fields=("progress_message", "error_message"),
)
STUCK_AFTER = dt.timedelta(seconds=120) + jobs.STUCK_MARGIN
SECOND = dt.timedelta(seconds=1)


@pytest.fixture(autouse=True)
def sent():
    SENT.clear()
    yield SENT
    SENT.clear()


@pytest.fixture
def new_job(ministry_user):
    def make(**fields) -> ReportJob:
        job = ReportJob.objects.create(
            kind="national", requested_by=ministry_user, snapshot_hash=uuid.uuid4().hex
        )
        if fields:
            ReportJob.objects.filter(pk=job.pk).update(**fields)
            job.refresh_from_db()
        return job

    return make


def fresh(job: ReportJob) -> ReportJob:
    job.refresh_from_db()
    return job


# --- claim and attempts -------------------------------------------------------------------------


@pytest.mark.django_db
def test_claim_moves_a_row_only_from_the_given_states(new_job):
    job = new_job(state=State.DONE)
    assert not jobs.claim(ReportJob, job.pk, (State.QUEUED,), State.RENDERING)
    assert fresh(job).state == State.DONE
    assert jobs.claim(ReportJob, job.pk, (State.QUEUED, State.DONE), State.FAILED, attempts=2)
    assert (fresh(job).state, job.attempts) == (State.FAILED, 2)
    # A queryset narrows the condition.
    assert not jobs.claim(ReportJob.objects.filter(attempts=0), job.pk, (State.FAILED,), "done")


@needs_row_locks
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_deliveries_racing_for_one_job_exactly_one_claims_it(new_job):
    job = new_job()
    rows = ReportJob.objects.filter(pk=job.pk)
    outcomes = run_at_once([lambda: jobs.start(KIND, job.pk, STEP)] * 4, hold=locked(rows))
    assert [o.error for o in outcomes] == [None] * 4
    assert sorted(o.value for o in outcomes) == [False, False, False, True]
    job = fresh(job)
    assert (job.state, job.attempts) == (State.RENDERING, 1)
    assert job.claimed_at is not None


@pytest.mark.django_db
def test_a_claimed_job_is_taken_over_only_by_a_step_that_allows_it(new_job):
    job = new_job(state=State.RENDERING, attempts=1, claimed_at=timezone.now())
    assert not jobs.start(KIND, job.pk, STEP)
    assert (fresh(job).state, job.attempts) == (State.RENDERING, 1)
    takeover = jobs.Step(STEP.waiting, STEP.running, STEP.task, "", takeover=True)
    assert jobs.start(KIND, job.pk, takeover)
    assert (fresh(job).state, job.attempts) == (State.RENDERING, 2)


@pytest.mark.django_db
def test_attempts_are_bounded_by_the_rows_cap_and_an_exhausted_job_fails_visibly(new_job):
    job = new_job(max_attempts=2)
    for attempt in (1, 2):
        assert jobs.start(KIND, job.pk, STEP, progress_message="正在处理")
        assert (fresh(job).state, job.attempts, job.progress_message) == (
            State.RENDERING,
            attempt,
            "正在处理",
        )
        assert jobs.wait(KIND, job.pk, (State.RENDERING,), STEP)
        assert (fresh(job).state, job.claimed_at) == (State.QUEUED, None)

    assert not jobs.start(KIND, job.pk, STEP)  # a third delivery: out of attempts
    job = fresh(job)
    assert (job.state, job.attempts) == (State.FAILED, 2)
    assert job.progress_message == job.error_message == KIND.exhausted_message
    assert job.finished_at is not None


@pytest.mark.django_db
def test_a_finished_job_is_not_failed_by_a_late_delivery(new_job):
    job = new_job(state=State.DONE, attempts=3)
    assert not jobs.start(KIND, job.pk, STEP)
    assert fresh(job).state == State.DONE


# --- enqueue ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_enqueue_sends_the_task_of_the_step_the_job_waits_for(new_job, sent):
    job = new_job()
    assert jobs.enqueue(KIND, job.pk)
    assert sent == [job.pk]
    assert fresh(job).enqueued_at is not None

    claimed = new_job(state=State.RENDERING, claimed_at=timezone.now())
    assert not jobs.enqueue(KIND, claimed.pk)  # waits for nothing: nothing is sent
    assert sent == [job.pk]


@pytest.mark.django_db
def test_enqueue_on_commit_sends_after_commit_only(
    new_job, sent, django_capture_on_commit_callbacks
):
    job = new_job()
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue_on_commit(KIND, job.pk)
        assert sent == []
    assert sent == [job.pk]


@pytest.mark.django_db
def test_with_the_broker_down_enqueue_does_not_raise_and_the_job_waits(new_job, sent, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(record, "delay", broker_down)
    job = new_job()
    assert not jobs.enqueue(KIND, job.pk)
    assert (fresh(job).state, job.enqueued_at) == (State.QUEUED, None)

    monkeypatch.undo()
    later = timezone.now() + jobs.UNPICKED_AFTER + SECOND
    assert jobs.sweep(KIND, now=later) == {"failed": 0, "requeued": 0, "enqueued": 1}
    assert sent == [job.pk]


# --- sweep --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweeper_requeues_a_job_claimed_longer_than_its_task_can_run(new_job, sent):
    claimed_at = timezone.now()
    job = new_job(state=State.RENDERING, attempts=1, claimed_at=claimed_at)

    nothing = {"failed": 0, "requeued": 0, "enqueued": 0}
    assert jobs.sweep(KIND, now=claimed_at + STUCK_AFTER - SECOND) == nothing  # may still run
    assert fresh(job).state == State.RENDERING
    result = jobs.sweep(KIND, now=claimed_at + STUCK_AFTER + SECOND)
    assert result == {"failed": 0, "requeued": 1, "enqueued": 1}
    job = fresh(job)
    assert (job.state, job.attempts, job.claimed_at) == (State.QUEUED, 1, None)
    assert job.progress_message == STEP.requeued_message
    assert job.enqueued_at is not None
    assert sent == [job.pk]


@pytest.mark.django_db
def test_the_sweeper_enqueues_a_job_never_picked_up_and_waits_again_after_sending(new_job, sent):
    job = new_job()
    since = fresh(job).updated_at
    nothing = {"failed": 0, "requeued": 0, "enqueued": 0}
    assert jobs.sweep(KIND, now=since + jobs.UNPICKED_AFTER - SECOND) == nothing
    result = jobs.sweep(KIND, now=since + jobs.UNPICKED_AFTER + SECOND)
    assert result == {"failed": 0, "requeued": 0, "enqueued": 1}
    assert sent == [job.pk]

    sent_at = fresh(job).enqueued_at
    assert sent_at is not None
    assert jobs.sweep(KIND, now=sent_at + jobs.UNPICKED_AFTER - SECOND) == nothing
    assert jobs.sweep(KIND, now=sent_at + jobs.UNPICKED_AFTER + SECOND)["enqueued"] == 1
    assert sent == [job.pk, job.pk]


@pytest.mark.django_db
def test_the_sweeper_fails_jobs_out_of_attempts_with_the_kinds_message(new_job, sent):
    now = timezone.now()
    claimed = new_job(state=State.RENDERING, attempts=3, claimed_at=now)
    waiting = new_job(attempts=3, max_attempts=3)
    later = now + STUCK_AFTER + jobs.UNPICKED_AFTER
    assert jobs.sweep(KIND, now=later) == {"failed": 2, "requeued": 0, "enqueued": 0}
    for job in (fresh(claimed), fresh(waiting)):
        assert (job.state, job.attempts) == (State.FAILED, 3)
        assert job.error_message == job.progress_message == KIND.exhausted_message
    assert sent == []


@pytest.mark.django_db
def test_the_sweeper_reads_the_celery_time_limit_for_a_kind_without_its_own(new_job, settings):
    settings.CELERY_TASK_TIME_LIMIT = 600
    kind = jobs.JobKind(
        name="test job",
        model=ReportJob,
        steps=(STEP,),
        failed_state=State.FAILED,
        exhausted_message="x",
    )
    claimed_at = timezone.now()
    new_job(state=State.RENDERING, attempts=1, claimed_at=claimed_at)
    limit = dt.timedelta(seconds=600) + jobs.STUCK_MARGIN
    assert jobs.sweep(kind, now=claimed_at + limit - SECOND)["requeued"] == 0
    assert jobs.sweep(kind, now=claimed_at + limit + SECOND)["requeued"] == 1


@needs_row_locks
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_sweeper_leaves_a_row_locked_by_its_running_step_alone(new_job, sent):
    claimed_at = timezone.now()
    job = new_job(state=State.RENDERING, attempts=1, claimed_at=claimed_at)
    later = claimed_at + STUCK_AFTER + SECOND
    with locked(ReportJob.objects.filter(pk=job.pk)):  # as an import holds it while it writes
        [outcome] = run_at_once([lambda: jobs.sweep(KIND, now=later)])
    assert outcome.error is None
    assert outcome.value == {"failed": 0, "requeued": 0, "enqueued": 0}
    assert jobs.sweep(KIND, now=later)["requeued"] == 1


# --- the kinds and the layering -----------------------------------------------------------------


@pytest.mark.parametrize("kind", [IMPORT_JOBS, REPORT_JOBS], ids=lambda k: k.name)
def test_every_kind_sends_a_registered_task_whose_time_limit_the_sweeper_uses(kind):
    app.loader.import_default_modules()
    for step in kind.steps:
        task = app.tasks[step.task]
        assert kind.step(step.waiting) is kind.step(step.running) is step
        limit = task.time_limit or django_settings.CELERY_TASK_TIME_LIMIT
        assert kind.time_limit() == dt.timedelta(seconds=limit)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ("." * node.level) + (node.module or "")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_the_engine_imports_none_of_the_apps():
    apps = ("cities", "assessments", "reports", "accounts", "oversight")
    imported = imported_modules(ROOT / "sme_pilot" / "jobs.py")
    assert not [m for m in imported if m.split(".")[0] in apps]


@pytest.mark.parametrize("path", ["cities/imports/jobs.py", "reports/services.py"])
def test_services_never_import_their_tasks(path):
    imported = imported_modules(ROOT / path)
    assert not [m for m in imported if m.split(".")[-1] == "tasks"]
