"""The upload workflow: store a file as an ImportJob, validate it, then apply it on request.

Each step claims the job row with a conditional UPDATE on its state, so a task delivered twice
does the work once; the row, not the queue, is the truth about a job. Applying re-validates
against the current database and is all or nothing, like every import.

Faults: a step the database dropped mid-way (connection lost) wrote nothing; the job goes back
to where it can be retried (validated: confirm again; uploaded: validated again) and the error
goes on to the caller (a 503 for a request). A step whose worker died leaves its job claimed:
`import_jobs_sweep` (celery beat, every minute) puts such jobs back in the queue once they
cannot still be running, enqueues jobs that never reached a worker (Redis was down), and fails,
visibly, jobs out of attempts, as reports.services does for report jobs.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import uuid
from collections.abc import Iterable
from typing import Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts import policy
from accounts.models import User
from cities.models import ImportJob, ImportJobState
from sme_pilot import ratelimits
from sme_pilot.errors import Forbidden

from . import readers
from .results import ImportResult, RowError
from .service import Progress, apply_parsed, import_file, importable_kinds, parse_file

logger = logging.getLogger(__name__)

MAX_ATTEMPTS: Final = 3
FAILED_MESSAGE: Final = "系统错误，导入未完成，未写入任何数据。请稍后重试或联系系统管理员。"
STUCK_MESSAGE: Final = "导入多次中断（超时或后台进程退出），已停止重试，未写入任何数据。请重新上传"
APPLY_INTERRUPTED_MESSAGE: Final = "导入中断（数据库连接中断），未写入任何数据，请重新确认导入"
VALIDATE_INTERRUPTED_MESSAGE: Final = "校验中断（数据库连接中断），稍后自动重新校验"
REQUEUED_MESSAGES: Final[dict[str, str]] = {
    ImportJobState.VALIDATING: "校验中断，已重新排队",
    ImportJobState.IMPORTING: "导入中断，已重新排队",
}
# The database went away (connection lost, server restarting): not the job's fault.
DATABASE_UNAVAILABLE: Final = (OperationalError, InterfaceError)
# A claimed job untouched for longer than the tasks' hard time limit plus this is a dead
# worker's (or request's): its task cannot still be running.
STUCK_MARGIN: Final = dt.timedelta(seconds=60)
# A job waiting for a worker longer than this was probably never enqueued (Redis down) or lost.
UNPICKED_AFTER: Final = dt.timedelta(minutes=5)
State = ImportJobState


class ImportUploadsTooFrequent(ratelimits.TooFrequent):
    """The actor has uploaded as many files as allowed in the last hour; nothing was stored."""

    def __init__(self, *, limit: int, retry_after: dt.timedelta) -> None:
        minutes = max(1, math.ceil(retry_after.total_seconds() / 60))
        super().__init__(
            f"上传过于频繁：每小时最多上传 {limit} 个导入文件，请 {minutes} 分钟后再试",
            retry_after=retry_after,
        )


def import_job_create(
    *, kind: str, upload: UploadedFile, actor: User, auto_apply: bool = False
) -> ImportJob:
    """Check and store an uploaded file. Nothing is parsed: size, format, the unzipped size and
    the uploader's hourly limit are checked first, and decide whether a worker does the rest.

    Raises PermissionDenied, ValidationError (the message says why) or ImportUploadsTooFrequent.
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
    finally:
        upload.seek(0)
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
        job.file.save(f"{uuid.uuid4().hex}.{measured.file_format}", upload, save=False)
        job.save()
    return job


def import_job_validate(*, job_id: int) -> ImportJob:
    """Dry-run the job's file; the job ends validated or invalid (or failed on a crash)."""
    job = _claim(job_id, (State.UPLOADED, State.VALIDATING), State.VALIDATING, "正在校验")
    if job is None:
        return ImportJob.objects.get(pk=job_id)
    try:
        result = import_file(
            kind=job.kind,
            content=_content(job),
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
    changed = ImportJob.objects.filter(pk=job.pk, state=State.VALIDATED).update(
        state=State.IMPORTING,
        attempts=0,
        progress_percent=0,
        progress_message="等待导入",
        updated_at=timezone.now(),
    )
    return changed == 1


def import_job_apply(*, job_id: int) -> ImportJob:
    """Re-validate against the current database and write, all or nothing."""
    job = _claim(job_id, (State.IMPORTING,), State.IMPORTING, "正在导入")
    if job is None:
        return ImportJob.objects.get(pk=job_id)
    actor = job.requested_by
    try:
        if job.kind not in importable_kinds(actor):
            error = RowError(None, "", "您已无权导入该类数据")
            result = ImportResult(kind=job.kind, errors=[error], error_count=1, dry_run=False)
            return _finish(job, result, State.INVALID)
        progress = _progress(job_id)
        # Parsing takes most of the time and needs no lock: do it outside the transaction, so
        # the progress it reports is visible to the page polling for it.
        parsed = parse_file(
            kind=job.kind,
            content=_content(job),
            progress=progress,
            max_rows=settings.IMPORT_MAX_ROWS,
        )
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().get(pk=job_id)
            if locked.state != State.IMPORTING:
                return locked  # another delivery of this task finished it meanwhile
            result = apply_parsed(parsed, actor=actor, dry_run=False, progress=progress)
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


def _claim(job_id: int, states: Iterable[str], new_state: str, message: str) -> ImportJob | None:
    """Take the job if it is in one of `states` and has attempts left; None if not ours."""
    states = list(states)
    now = timezone.now()
    claimed = ImportJob.objects.filter(
        pk=job_id, state__in=states, attempts__lt=MAX_ATTEMPTS
    ).update(
        state=new_state,
        attempts=F("attempts") + 1,
        progress_percent=0,
        progress_message=message,
        updated_at=now,
    )
    if claimed:
        return ImportJob.objects.select_related("requested_by__city").get(pk=job_id)
    # Redelivered after crashing too often: give up with a message the user can see.
    ImportJob.objects.filter(pk=job_id, state__in=states, attempts__gte=MAX_ATTEMPTS).update(
        state=State.FAILED,
        progress_message=FAILED_MESSAGE,
        finished_at=now,
        updated_at=now,
    )
    return None


def _content(job: ImportJob) -> bytes:
    with job.file.open("rb") as handle:
        data = handle.read()
    assert isinstance(data, bytes)
    return data


def _progress(job_id: int) -> Progress:
    def report(percent: int, message: str) -> None:
        ImportJob.objects.filter(pk=job_id).update(
            progress_percent=max(0, min(100, percent)),
            progress_message=message[:200],
            updated_at=timezone.now(),
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
    job.errors = errors
    job.progress_percent = 100
    job.progress_message = _finished_message(state, result)
    job.finished_at = timezone.now()
    job.save()
    return job


def _finished_message(state: str, result: ImportResult) -> str:
    if state == State.DONE:
        return "导入完成"
    if state == State.VALIDATED:
        return "校验通过，请确认导入"
    return f"发现 {result.error_count} 处错误，未写入任何数据"


def _interrupted(job_id: int, state: str, back_to: str, message: str) -> None:
    """Put a job whose step lost the database back where it can be retried (best effort).

    If the database is still away, the job stays claimed and the sweeper puts it back later.
    """
    try:
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()  # reconnect instead of reusing a dead one
        ImportJob.objects.filter(pk=job_id, state=state).update(
            state=back_to, progress_percent=0, progress_message=message, updated_at=timezone.now()
        )
    except DatabaseError:
        logger.warning("import job %s: could not record the interruption", job_id, exc_info=True)


def _fail(job_id: int) -> ImportJob:
    now = timezone.now()
    ImportJob.objects.filter(pk=job_id).update(
        state=State.FAILED, progress_message=FAILED_MESSAGE, finished_at=now, updated_at=now
    )
    return ImportJob.objects.get(pk=job_id)


# --- sweep -----------------------------------------------------------------------------------


def import_jobs_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Requeue jobs a dead worker left claimed, enqueue jobs never picked up, fail exhausted ones.

    A claimed job (validating, importing) is left behind once it has not been touched for longer
    than the tasks' hard time limit plus a margin, and its row is not locked (an import holds
    the lock while it writes). A job waiting for a worker (uploaded, or importing not yet
    claimed) is enqueued again after `UNPICKED_AFTER`. Should the first message turn up after
    all, the second delivery does no harm: an import waits for the first one's row lock and then
    finds the job done; a validation is a dry run. `now` lets a test look from later on.
    """
    now = now or timezone.now()
    hard_limit = dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimed = Q(state__in=(State.VALIDATING, State.IMPORTING), attempts__gte=1)
    stuck = claimed & Q(updated_at__lt=now - hard_limit - STUCK_MARGIN)
    waiting = (Q(state=State.UPLOADED) | Q(state=State.IMPORTING, attempts=0)) & Q(
        updated_at__lt=now - UNPICKED_AFTER
    )
    failed = requeued = 0
    to_enqueue: list[tuple[int, str]] = []
    with transaction.atomic():
        rows = (
            ImportJob.objects.select_for_update(skip_locked=True)
            .filter(stuck | waiting)
            .order_by("pk")
            .values_list("pk", "state", "attempts")
        )
        touched = timezone.now()
        for pk, state, attempts in rows:
            if state in REQUEUED_MESSAGES and attempts >= 1:
                if attempts >= MAX_ATTEMPTS:
                    failed += ImportJob.objects.filter(pk=pk).update(
                        state=State.FAILED,
                        progress_message=STUCK_MESSAGE,
                        finished_at=touched,
                        updated_at=touched,
                    )
                    continue
                requeued += ImportJob.objects.filter(pk=pk).update(
                    progress_percent=0,
                    progress_message=REQUEUED_MESSAGES[state],
                    updated_at=touched,
                )
            else:
                # Touched so that the next sweep waits again before enqueueing it once more.
                ImportJob.objects.filter(pk=pk).update(updated_at=touched)
            to_enqueue.append((pk, state))
    enqueued = sum(import_job_enqueue(pk, state) for pk, state in to_enqueue)
    if failed or requeued or enqueued:
        logger.warning(
            "import jobs sweep: %s failed, %s requeued, %s enqueued", failed, requeued, enqueued
        )
    return {"failed": failed, "requeued": requeued, "enqueued": enqueued}


def import_job_enqueue(job_id: int, state: str) -> bool:
    """Send the job's next step to a worker; if the broker is down the sweeper tries again."""
    from cities import tasks  # tasks imports this module

    task = tasks.import_job_apply if state == State.IMPORTING else tasks.import_job_validate
    try:
        task.delay(job_id)
    except Exception:
        logger.exception("import job %s: could not enqueue, the sweeper will retry", job_id)
        return False
    return True
