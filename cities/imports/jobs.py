"""The upload workflow: store a file as an ImportJob, validate it, then apply it on request.

Import jobs run on the job engine (`sme_pilot.jobs`), described by `IMPORT_JOBS`: two steps,
validation (uploaded → validating, task `cities.import_job_validate`) and import (importing,
task `cities.import_job_apply`), with a person's confirmation between them (validated). Each
step claims the job row with a conditional UPDATE, so a task delivered twice does the work once;
the row, not the queue, is the truth about a job. Applying re-validates against the current
database and is all or nothing, like every import. This module keeps what the steps do.

Faults: a step the database dropped mid-way (connection lost) wrote nothing; the job goes back
to where it can be retried (validated: confirm again; uploaded: validated again) and the error
goes on to the caller (a 503 for a request). A step whose worker died leaves its job claimed:
`import_jobs_sweep` (celery beat, every minute) is the engine's sweeper: it puts such jobs back
in the queue once they cannot still be running, enqueues jobs that never reached a worker
(Redis was down), and fails, visibly, jobs out of attempts.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Final

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from accounts.models import User
from cities.models import ImportJob, ImportJobState
from notifications import recipients
from notifications.choices import Kind
from notifications.services import Event, notify_on_commit
from sme_pilot import jobs, ratelimits
from sme_pilot.errors import Forbidden, minutes_to_wait

from . import readers
from .results import ImportResult, RowError
from .selectors import LIVE_PROGRESS_SECONDS, live_progress_key
from .service import Progress, import_file, importable_kinds

logger = logging.getLogger(__name__)

FAILED_MESSAGE: Final = "系统错误，导入未完成，未写入任何数据。请稍后重试或联系系统管理员。"
STUCK_MESSAGE: Final = "导入多次中断（超时或后台进程退出），已停止重试，未写入任何数据。请重新上传"
APPLY_INTERRUPTED_MESSAGE: Final = "导入中断（数据库连接中断），未写入任何数据，请重新确认导入"
VALIDATE_INTERRUPTED_MESSAGE: Final = "校验中断（数据库连接中断），稍后自动重新校验"
# The database went away (connection lost, server restarting): not the job's fault.
DATABASE_UNAVAILABLE: Final = (OperationalError, InterfaceError)
State = ImportJobState

# A redelivered validation may take over (a dry run); a second import waits for the first one's
# row lock and then finds the job done.
VALIDATE: Final = jobs.Step(
    waiting=State.UPLOADED,
    running=State.VALIDATING,
    task="cities.import_job_validate",
    requeued_message="校验中断，已重新排队",
    takeover=True,
)
APPLY: Final = jobs.Step(
    waiting=State.IMPORTING,
    running=State.IMPORTING,
    task="cities.import_job_apply",
    requeued_message="导入中断，已重新排队",
    takeover=True,
)
# The tasks run under Celery's default time limit (settings.CELERY_TASK_TIME_LIMIT).
IMPORT_JOBS: Final = jobs.JobKind(
    name="import job",
    model=ImportJob,
    steps=(VALIDATE, APPLY),
    failed_state=State.FAILED,
    exhausted_message=STUCK_MESSAGE,
)


class ImportUploadsTooFrequent(ratelimits.TooFrequent):
    """The actor has uploaded as many files as allowed in the last hour; nothing was stored."""

    def __init__(self, *, limit: int, retry_after: dt.timedelta) -> None:
        minutes = minutes_to_wait(retry_after)
        super().__init__(
            f"上传过于频繁：每小时最多上传 {limit} 个导入文件，请 {minutes} 分钟后再试",
            retry_after=retry_after,
        )


def import_job_create(
    *, kind: str, upload: UploadedFile, actor: User, auto_apply: bool = False
) -> ImportJob:
    """Check and store an uploaded file. Nothing is parsed: size, format, the unzipped size and
    the uploader's hourly limit are checked first, and decide whether a worker does the rest.

    Raises Forbidden, ValidationError (the message says why) or ImportUploadsTooFrequent.
    """
    if kind not in importable_kinds(actor):
        raise Forbidden("您无权导入该类数据")
    size = upload.size or 0
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if size > limit:
        raise ValidationError(
            f"文件过大（{filesizeformat(size)}），上限为 {filesizeformat(limit)}，请拆分后分批导入",
            code="too_large",
        )
    try:
        content = upload.read()
        measured = readers.measure(content, max_unzipped_bytes=settings.IMPORT_MAX_UNZIPPED_BYTES)
    except readers.ImportFileError as exc:
        raise ValidationError(str(exc), code="unsupported_format") from None
    lines_over = (measured.lines or 0) > settings.IMPORT_ASYNC_THRESHOLD_ROWS
    job = ImportJob(
        kind=kind,
        original_filename=(upload.name or "")[-255:],
        size_bytes=size,
        requested_by=actor,
        city=actor.city if policy.scope_of(actor).reach is policy.Reach.CITY else None,
        run_async=measured.unzipped_bytes > settings.IMPORT_ASYNC_THRESHOLD_BYTES or lines_over,
        auto_apply=auto_apply,
        progress_message="等待校验",
    )
    with transaction.atomic():
        ratelimits.one_at_a_time(User.objects.filter(pk=actor.pk))
        per_hour = settings.IMPORT_UPLOADS_PER_HOUR
        wait = ratelimits.wait(ImportJob.objects.filter(requested_by=actor), limit=per_hour)
        if wait is not None:
            raise ImportUploadsTooFrequent(limit=per_hour, retry_after=wait)
        # The stored name is ours; the user's file name is only shown.
        job.file.save(
            f"{uuid.uuid4().hex}.{measured.file_format}", ContentFile(content), save=False
        )
        job.save()
    return job


def import_job_start(job: ImportJob) -> None:
    """Validate the new job now, or in a worker after commit when its file is large."""
    if job.run_async:
        jobs.enqueue_on_commit(IMPORT_JOBS, job.pk)
        return
    import_job_validate_and_continue(job_id=job.pk)


def import_job_confirm(job: ImportJob) -> bool:
    """Apply a validated job (now, or in a worker); False if it was not waiting for that."""
    if not import_job_request_apply(job=job):
        return False
    if job.run_async:
        # Never raises: with the broker down the job waits for the sweeper instead of the
        # request failing after its job was committed.
        jobs.enqueue_on_commit(IMPORT_JOBS, job.pk)
    else:
        import_job_apply(job_id=job.pk)
    return True


def import_job_validate_and_continue(*, job_id: int) -> ImportJob:
    """The validation step, in a worker (the task's body) or the request: validate, then
    confirm an auto-apply job that passed (imported in the request, or sent to a worker)."""
    job = import_job_validate(job_id=job_id)
    if job.auto_apply:
        import_job_confirm(job)
    return job


def import_job_validate(*, job_id: int) -> ImportJob:
    """Dry-run the job's file; the job ends validated or invalid (or failed on a crash)."""
    job = _claim(job_id, VALIDATE, "正在校验")
    if job is None:
        return ImportJob.objects.get(pk=job_id)
    try:
        with job.file.open("rb") as handle:
            result = import_file(
                kind=job.kind,
                content=handle,
                actor=job.requested_by,
                dry_run=True,
                progress=_progress(job_id),
                max_rows=settings.IMPORT_MAX_ROWS,
            )
    except DATABASE_UNAVAILABLE:
        logger.exception("import job %s: database connection lost while validating", job_id)
        _interrupted(job_id, State.VALIDATING, State.UPLOADED, VALIDATE_INTERRUPTED_MESSAGE)
        raise
    except Exception:
        logger.exception("import job %s: validation crashed", job_id)
        return _fail(job_id)
    return _finish(job, result, State.VALIDATED if result.ok else State.INVALID)


def import_job_request_apply(*, job: ImportJob) -> bool:
    """Validated → importing, once: a second confirmation of the same job does nothing."""
    cache.delete(live_progress_key(job.pk))  # the validation's last report
    return jobs.wait(
        IMPORT_JOBS,
        job.pk,
        (State.VALIDATED,),
        APPLY,
        attempts=0,
        progress_percent=0,
        progress_message="等待导入",
    )


def import_job_apply(*, job_id: int) -> ImportJob:
    """Re-validate against the current database and write, all or nothing."""
    job = _claim(job_id, APPLY, "正在导入")
    if job is None:
        return ImportJob.objects.get(pk=job_id)
    actor = job.requested_by
    try:
        if job.kind not in importable_kinds(actor):
            error = RowError(None, "", "您已无权导入该类数据")
            result = ImportResult(kind=job.kind, errors=[error], error_count=1, dry_run=False)
            return _finish(job, result, State.INVALID)
        # The file is read, checked and written a chunk at a time, under the job's row lock:
        # the progress it reports goes to the cache, where the pages read it (the row's own
        # columns would show only once the import commits).
        with job.file.open("rb") as handle, transaction.atomic():
            locked = ImportJob.objects.select_for_update().get(pk=job_id)
            if locked.state != State.IMPORTING:
                return locked  # another delivery of this task finished it meanwhile
            result = import_file(
                kind=job.kind,
                content=handle,
                actor=actor,
                dry_run=False,
                progress=_progress(job_id),
                max_rows=settings.IMPORT_MAX_ROWS,
            )
            # In the same transaction as the rows: the job says "done" iff they were written.
            return _finish(locked, result, State.DONE if result.written else State.INVALID)
    except DATABASE_UNAVAILABLE:
        # The transaction is gone with the connection: not one row of the file was written.
        logger.exception("import job %s: database connection lost while importing", job_id)
        _interrupted(job_id, State.IMPORTING, State.VALIDATED, APPLY_INTERRUPTED_MESSAGE)
        raise
    except Exception:
        logger.exception("import job %s: import crashed", job_id)
        return _fail(job_id)


def import_jobs_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The engine's sweeper for import jobs (`sme_pilot.jobs.sweep`).

    A claimed job (validating, importing) is requeued once it was claimed longer ago than the
    tasks' hard time limit plus a margin and its row is not locked (an import holds the lock
    while it writes). A job waiting for a worker (uploaded, or importing not yet claimed) is
    sent again after `sme_pilot.jobs.UNPICKED_AFTER`. Should the first message turn up after
    all, the second delivery does no harm: an import waits for the first one's row lock and then
    finds the job done; a validation is a dry run. `now` lets a test look from later on.
    """
    return jobs.sweep(IMPORT_JOBS, now=now)


def _claim(job_id: int, step: jobs.Step, message: str) -> ImportJob | None:
    """Take the job for `step` if it has attempts left; None if it is not ours to run."""
    if jobs.start(IMPORT_JOBS, job_id, step, progress_percent=0, progress_message=message):
        cache.delete(live_progress_key(job_id))  # an earlier step's, or attempt's, report
        return ImportJob.objects.select_related("requested_by__city").get(pk=job_id)
    return None


def _progress(job_id: int) -> Progress:
    """Reports a step's progress: to the cache, which the job's pages read while it runs
    (`selectors.with_live_progress`), and to the job's row when no transaction would hide it."""

    def report(percent: int, message: str) -> None:
        percent, message = max(0, min(100, percent)), message[:200]
        cache.set(live_progress_key(job_id), (percent, message), LIVE_PROGRESS_SECONDS)
        if connection.in_atomic_block:
            return
        ImportJob.objects.filter(pk=job_id).update(
            progress_percent=percent, progress_message=message, updated_at=timezone.now()
        )

    return report


def _finish(job: ImportJob, result: ImportResult, state: str) -> ImportJob:
    errors = [e.as_dict() for e in result.errors]
    if result.errors_not_listed:
        errors.append(RowError(None, "", f"另有 {result.errors_not_listed} 处错误未列出").as_dict())
    job.state = state
    job.total_rows = result.total_rows
    job.created_count = result.created
    job.updated_count = result.updated
    job.unchanged_count = result.unchanged
    job.error_count = result.error_count
    job.error_rows = result.error_rows
    job.errors = errors
    job.progress_percent = 100
    job.progress_message = _finished_message(state, result)
    job.finished_at = timezone.now()
    job.save()
    if state in (State.DONE, State.INVALID):
        _announce(job, Kind.IMPORT_FINISHED if state == State.DONE else Kind.IMPORT_FAILED)
    return job


def _announce(job: ImportJob, kind: str) -> None:
    """The requester learns how the import ended (issue 16), once it is committed."""
    done = "导入完成" if kind == Kind.IMPORT_FINISHED else "导入未完成"
    notify_on_commit(
        recipients=recipients.of(user=job.requested_by_id),
        event=Event(
            kind=kind,
            title=f"{job.get_kind_display()}{done}（{job.original_filename}）"[:200],
            body=job.progress_message,
            link=reverse("cities:import_detail", args=[job.pk]),
            subject_type="import_job",
            subject_id=job.pk,
        ),
    )


def _finished_message(state: str, result: ImportResult) -> str:
    note = f"；{result.skipped_note}" if result.skipped_examples else ""
    note += "".join(f"；{notice}" for notice in result.notices)
    if state == State.DONE:
        return f"导入完成{note}"
    if state == State.VALIDATED:
        return f"校验通过，请确认导入{note}"
    return f"{result.error_summary}，未写入任何数据{note}"


def _interrupted(job_id: int, state: str, back_to: str, message: str) -> None:
    """Put a job whose step lost the database back where it can be retried (best effort).

    If the database is still away, the job stays claimed and the sweeper puts it back later.
    """
    try:
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()  # reconnect instead of reusing a dead one
        jobs.claim(
            ImportJob,
            job_id,
            (state,),
            back_to,
            claimed_at=None,
            enqueued_at=None,
            progress_percent=0,
            progress_message=message,
        )
    except DatabaseError:
        logger.warning("import job %s: could not record the interruption", job_id, exc_info=True)


def _fail(job_id: int) -> ImportJob:
    jobs.fail(IMPORT_JOBS, job_id, FAILED_MESSAGE)
    job = ImportJob.objects.get(pk=job_id)
    _announce(job, Kind.IMPORT_FAILED)
    return job
