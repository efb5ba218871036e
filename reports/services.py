"""Report jobs: request (scope check, snapshot, dedupe, enqueue), run (claim, render, store), sweep.

The job row is the truth; the job engine (`sme_pilot.jobs`) runs it, described by
`REPORT_JOBS`: one step, queued → rendering, task `reports.render_report_job`. A request
freezes the data into a snapshot and hashes it: the same report of the same data is one job,
rendered once. A worker claims a queued job with a conditional UPDATE and proceeds only if it
changed the row, so a task delivered twice renders once; the PDF is written under a temporary
name and renamed into place. A failed render is retried with a growing delay while attempts
last. The engine's sweeper puts back jobs a dead worker left behind, sends jobs never picked up,
and fails, visibly, those out of attempts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import uuid
from typing import Any, Final, Protocol

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, When
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import User
from accounts.policy import sees_dashboards, sees_everything
from assessments.models import Assessment
from assessments.selectors import assessment_get_visible
from cities.models import Enterprise, PilotCity
from cities.selectors import city_get_visible, enterprise_list_visible_to
from sme_pilot import jobs, ratelimits
from sme_pilot.errors import NotFound, minutes_to_wait

from . import notifications, snapshots
from .models import ACTIVE_STATES, ReportJob, ReportJobState, ReportKind

logger = logging.getLogger(__name__)

State = ReportJobState

RETRY_BACKOFF_SECONDS: Final = 30
# Seconds. A render took up to ~9 s for 2,000 table rows; these leave ample room. The broker's
# visibility_timeout (30 min) stays above the hard limit, so a running render is not redelivered.
RENDER_SOFT_TIME_LIMIT: Final = 4 * 60
RENDER_HARD_TIME_LIMIT: Final = 5 * 60

FAILED_MESSAGE: Final = "报告生成失败，已尝试 {attempts} 次。请稍后重试或联系系统管理员。"
STUCK_MESSAGE: Final = "报告生成多次中断（超时或后台进程退出），已停止重试。"

RENDER: Final = jobs.Step(
    waiting=State.QUEUED,
    running=State.RENDERING,
    task="reports.render_report_job",
    requeued_message="生成中断，已重新排队",
)
REPORT_JOBS: Final = jobs.JobKind(
    name="report job",
    model=ReportJob,
    steps=(RENDER,),
    failed_state=State.FAILED,
    exhausted_message=STUCK_MESSAGE,
    hard_time_limit=RENDER_HARD_TIME_LIMIT,
    message_fields=("progress_message", "error_message"),
)


class Renderer(Protocol):
    def __call__(self, kind: str, snapshot: dict[str, Any], *, snapshot_hash: str) -> bytes: ...


def _renderer() -> Renderer:
    """settings.REPORTS_RENDERER, imported on first use: web processes never import WeasyPrint."""
    renderer: Renderer = import_string(settings.REPORTS_RENDERER)
    return renderer


# --- request ---------------------------------------------------------------------------------


class ReportRequestsTooFrequent(ratelimits.TooFrequent):
    """The actor has had as many new renders as allowed in the last hour; nothing was written."""

    def __init__(self, *, limit: int, retry_after: dt.timedelta) -> None:
        self.limit = limit
        minutes = minutes_to_wait(retry_after)
        super().__init__(
            f"报告请求过于频繁：每小时最多申请生成 {limit} 份新报告，"
            f"请 {minutes} 分钟后再试。数据未变化的报告可直接在“我的报告”中下载。",
            retry_after=retry_after,
        )


def report_request_wait(*, actor: User, now: dt.datetime | None = None) -> dt.timedelta | None:
    """How long `actor` must wait before a new render may be requested; None if not at all.

    Requests that reuse an existing job create no row and so do not count; a retry of a failed
    job is a new render and does.
    """
    limit = settings.REPORTS_REQUESTS_PER_HOUR
    return ratelimits.wait(ReportJob.objects.filter(requested_by=actor), limit=limit, now=now)


def _rate_limit(actor: User) -> None:
    """Refuse a new render over the limit. Call inside the transaction that creates the job."""
    ratelimits.one_at_a_time(User.objects.filter(pk=actor.pk))
    wait = report_request_wait(actor=actor)
    if wait is not None:
        raise ReportRequestsTooFrequent(
            limit=max(0, int(settings.REPORTS_REQUESTS_PER_HOUR)), retry_after=wait
        )


Subject = tuple[dict[str, Any], PilotCity | None, Assessment | None, Enterprise | None]


def _subject(
    *,
    actor: User,
    kind: str,
    city_code: str | None,
    assessment_id: int | None,
    enterprise_id: int | None = None,
) -> Subject:
    """The params and subject of a request, if the actor may see it; otherwise 404."""
    if kind == ReportKind.NATIONAL:
        if not sees_everything(actor):
            raise NotFound("没有找到该报告")
        return {}, None, None, None
    if kind == ReportKind.CITY:
        if not sees_dashboards(actor) or not city_code:
            raise NotFound("没有找到该试点城市")
        city = city_get_visible(user=actor, code=city_code)
        return {"city_code": city.code}, city, None, None
    if kind == ReportKind.ASSESSMENT:
        if assessment_id is None:
            raise NotFound("没有找到该评测")
        assessment = assessment_get_visible(user=actor, pk=assessment_id)
        return {"assessment_id": assessment.pk}, None, assessment, None
    if kind == ReportKind.DOSSIER:
        # Whoever sees the enterprise (a provider sees none: enterprise_list_visible_to).
        enterprise = (
            enterprise_list_visible_to(user=actor).filter(pk=enterprise_id).first()
            if enterprise_id is not None
            else None
        )
        if enterprise is None:
            raise NotFound("没有找到该企业")
        return {"enterprise_id": enterprise.pk}, None, None, enterprise
    raise NotFound("没有这种报告")


def report_request(
    *,
    actor: User,
    kind: str,
    city_code: str | None = None,
    assessment_id: int | None = None,
    as_of: dt.date | None = None,
    enterprise_id: int | None = None,
) -> ReportJob:
    """The job for this report of the data as it is now: an existing one, or a new queued one.

    A new job counts against the actor's hourly limit: over it, ReportRequestsTooFrequent is
    raised and nothing is written. Reusing an existing job never counts.
    """
    job, _created = report_request_or_reuse(
        actor=actor,
        kind=kind,
        city_code=city_code,
        assessment_id=assessment_id,
        as_of=as_of,
        enterprise_id=enterprise_id,
    )
    return job


def report_request_or_reuse(
    *,
    actor: User,
    kind: str,
    city_code: str | None = None,
    assessment_id: int | None = None,
    as_of: dt.date | None = None,
    enterprise_id: int | None = None,
) -> tuple[ReportJob, bool]:
    """`report_request`, also saying whether this request created the job (True) or reused an
    existing one of the same data (False): the API answers 201 or 200."""
    params, city, assessment, enterprise = _subject(
        actor=actor,
        kind=kind,
        city_code=city_code,
        assessment_id=assessment_id,
        enterprise_id=enterprise_id,
    )
    # Always explicit, so "today" from the list page and from a dashboard are the same request.
    as_of = as_of or timezone.localdate()
    params["as_of"] = as_of.isoformat()
    try:
        snapshot = snapshots.build_snapshot(
            kind,
            city_code=params.get("city_code"),
            assessment_id=params.get("assessment_id"),
            as_of=as_of,
            enterprise_id=params.get("enterprise_id"),
        )
    except LookupError:
        raise NotFound("没有找到该报告的数据") from None
    digest = snapshots.snapshot_hash(snapshot)
    same = ReportJob.objects.filter(kind=kind, params=params, snapshot_hash=digest)

    def existing() -> ReportJob | None:
        # One statement, so one snapshot: with two (done, then active) a job finishing in
        # between was found by neither.
        done_first = Case(When(state=State.DONE, then=0), default=1)
        return (
            same.filter(state__in=(State.DONE, *ACTIVE_STATES))
            .order_by(done_first, F("finished_at").desc(nulls_last=True), "-id")
            .first()
        )

    job = existing()
    if job is None:
        try:
            with transaction.atomic():
                # Identical requests create their job one at a time and look again first: the
                # partial unique constraint alone lets a second job in once the first is done.
                _one_request_at_a_time(kind, params, digest)
                job = existing()
                if job is not None:
                    job.requesters.add(actor)
                    return job, False
                _rate_limit(actor)
                job = ReportJob.objects.create(
                    kind=kind,
                    params=params,
                    requested_by=actor,
                    city=city,
                    assessment=assessment,
                    enterprise=enterprise,
                    snapshot=snapshot,
                    snapshot_hash=digest,
                    progress_message="排队等待生成",
                )
        except ReportRequestsTooFrequent:
            # Over the limit, unless an identical request made the job meanwhile: reusing it is
            # free.
            job = existing()
            if job is None:
                raise
        except IntegrityError:
            # A concurrent identical request created it first (the partial unique constraint).
            # It may already be done by now (rendered as soon as it was committed): look it up
            # again like any existing job, done or active.
            job = existing()
            if job is None:
                raise
        else:
            jobs.enqueue_on_commit(REPORT_JOBS, job.pk)
            job.requesters.add(actor)
            return job, True
    job.requesters.add(actor)
    return job, False


def _one_request_at_a_time(kind: str, params: dict[str, Any], digest: str) -> None:
    """A transaction-scoped lock on this report of this data (PostgreSQL; SQLite writes one
    transaction at a time anyway)."""
    if connection.vendor != "postgresql":
        return
    key = hashlib.sha256(f"{kind}|{json.dumps(params, sort_keys=True)}|{digest}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(key[:8], "big", signed=True)]
        )


# --- run -------------------------------------------------------------------------------------


def report_job_run(job_id: int) -> ReportJob | None:
    """Render a queued job once. A job another delivery has taken or finished is left alone."""
    if not jobs.start(
        REPORT_JOBS, job_id, RENDER, progress_percent=10, progress_message="正在生成报告"
    ):
        return ReportJob.objects.filter(pk=job_id).first()
    job = ReportJob.objects.get(pk=job_id)
    try:
        pdf = _renderer()(job.kind, job.snapshot, snapshot_hash=job.snapshot_hash)
        name = _store(job, pdf)
    except Exception as exc:
        logger.exception("report job %s: render failed (attempt %s)", job_id, job.attempts)
        return _after_failure(job, exc)
    if jobs.claim(
        ReportJob,
        job_id,
        (State.RENDERING,),
        State.DONE,
        file=name,
        progress_percent=100,
        progress_message="报告已生成",
        error_message="",
        finished_at=timezone.now(),
    ):
        notifications.report_ready(job)  # issue 16: every requester learns it is ready
    logger.info(
        "report job %s: done",
        job_id,
        extra={"job_id": job_id, "kind": job.kind, "attempt": job.attempts, "file": name},
    )
    return ReportJob.objects.get(pk=job_id)


def report_file_name(job: ReportJob) -> str:
    """One name per job and data: every render of a job lands on the same file."""
    return f"reports/{job.kind}-{job.pk}-{job.snapshot_hash[:16]}.pdf"


def _store(job: ReportJob, pdf: bytes) -> str:
    name = report_file_name(job)
    final = default_storage.path(name)
    os.makedirs(os.path.dirname(final), exist_ok=True)
    temp = f"{final}.{uuid.uuid4().hex}.tmp"
    try:
        with open(temp, "wb") as handle:
            handle.write(pdf)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, final)  # atomic: readers see no file or the whole file
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return name


def _after_failure(job: ReportJob, exc: BaseException) -> ReportJob:
    reason = f"{type(exc).__name__}: {exc}"[:300]
    if job.attempts < job.max_attempts:
        retried = jobs.wait(
            REPORT_JOBS,
            job.pk,
            (State.RENDERING,),
            RENDER,
            progress_percent=0,
            progress_message=f"第 {job.attempts} 次生成失败，稍后自动重试",
            error_message=reason,
        )
        if retried:
            countdown = RETRY_BACKOFF_SECONDS * job.attempts
            jobs.enqueue_on_commit(REPORT_JOBS, job.pk, countdown=countdown)
    else:
        jobs.fail(
            REPORT_JOBS,
            job.pk,
            FAILED_MESSAGE.format(attempts=job.attempts),
            rows=ReportJob.objects.filter(state=State.RENDERING),
            error_message=reason,
            file="",
        )
    return ReportJob.objects.get(pk=job.pk)


# --- sweep -----------------------------------------------------------------------------------


def report_jobs_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Put back jobs stuck in rendering or never picked up; fail those out of attempts.

    The engine's sweeper (`sme_pilot.jobs.sweep`). `now` lets a test look at the jobs from later
    on, as the periodic sweeper would.
    """
    return jobs.sweep(REPORT_JOBS, now=now)
