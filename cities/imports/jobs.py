"""The upload workflow: store a file as an ImportJob, validate it, then apply it on request.

Each step claims the job row with a conditional UPDATE on its state, so a task delivered twice
does the work once; the row, not the queue, is the truth about a job. Applying re-validates
against the current database and is all or nothing, like every import.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Final

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from cities.models import ImportJob, ImportJobState, Role, User

from . import readers
from .results import ImportResult, RowError
from .service import Progress, apply_parsed, import_file, importable_kinds, parse_file

logger = logging.getLogger(__name__)

MAX_ATTEMPTS: Final = 3
FAILED_MESSAGE: Final = "系统错误，导入未完成，未写入任何数据。请稍后重试或联系系统管理员。"
State = ImportJobState


def import_job_create(
    *, kind: str, upload: UploadedFile, actor: User, auto_apply: bool = False
) -> ImportJob:
    """Check and store an uploaded file. Size and format are refused before anything is parsed."""
    if kind not in importable_kinds(actor):
        raise PermissionDenied("您无权导入该类数据")
    size = upload.size or 0
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if size > limit:
        raise ValidationError(
            f"文件过大（{filesizeformat(size)}），上限为 {filesizeformat(limit)}，请拆分后分批导入",
            code="too_large",
        )
    head = upload.read(8192)
    upload.seek(0)
    try:
        file_format = readers.detect_format(head)
    except readers.ImportFileError as exc:
        raise ValidationError(str(exc), code="unsupported_format") from None
    job = ImportJob(
        kind=kind,
        original_filename=(upload.name or "")[-255:],
        size_bytes=size,
        requested_by=actor,
        city=actor.city if actor.role == Role.CITY_OFFICIAL else None,
        run_async=size > settings.IMPORT_ASYNC_THRESHOLD_BYTES,
        auto_apply=auto_apply,
        progress_message="等待校验",
    )
    # The stored name is ours; the user's file name is only shown.
    job.file.save(f"{uuid.uuid4().hex}.{file_format}", upload, save=False)
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
        )
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
        parsed = parse_file(kind=job.kind, content=_content(job), progress=progress)
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().get(pk=job_id)
            if locked.state != State.IMPORTING:
                return locked  # another delivery of this task finished it meanwhile
            result = apply_parsed(parsed, actor=actor, dry_run=False, progress=progress)
            # In the same transaction as the rows: the job says "done" iff they were written.
            return _finish(locked, result, State.DONE if result.written else State.INVALID)
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


def _fail(job_id: int) -> ImportJob:
    now = timezone.now()
    ImportJob.objects.filter(pk=job_id).update(
        state=State.FAILED, progress_message=FAILED_MESSAGE, finished_at=now, updated_at=now
    )
    return ImportJob.objects.get(pk=job_id)
