"""A report's PDF handed out: the one download path of the report pages and the report API.

The caller has already found the job through the scoped selectors (out of scope is a 404 before
this runs). A job without a file yet (queued, rendering, failed) raises ReportNotReady: the API
answers 409 with the job's state, the page keeps its 404. A download is recorded
(`ReportDownload`) and logged to the security log, whichever door it came through.
"""

from __future__ import annotations

from django.http import FileResponse, HttpRequest
from django.utils import timezone

from accounts.models import User
from sme_pilot.downloads import file_attachment_response
from sme_pilot.errors import Conflict, NotFound
from sme_pilot.observability import security_event

from .models import ReportDownload, ReportJob, ReportJobState, ReportKind


class ReportNotReady(Conflict):
    """The job has no file to download (yet, or at all: it failed)."""

    default_message = "报告尚未生成"


def report_not_ready_message(job: ReportJob) -> str:
    if job.state == ReportJobState.FAILED:
        return "报告生成失败，没有可下载的文件，请重新申请生成。"
    state = ReportJobState(job.state).label
    return f"报告尚未生成（{state}，{job.progress_percent}%），请在状态为“已完成”后再下载。"


def report_download_response(request: HttpRequest, *, job: ReportJob, user: User) -> FileResponse:
    """The done job's PDF as an attachment named by `report_filename`, recorded for `user`."""
    if job.state != ReportJobState.DONE or not job.file:
        raise ReportNotReady(report_not_ready_message(job))
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise NotFound("报告文件不存在") from None
    ReportDownload.objects.create(job=job, user=user)
    security_event("report_download", request=request, job_id=job.pk, kind=job.kind)
    return file_attachment_response(
        handle, name=report_filename(job), content_type="application/pdf"
    )


def report_subject(job: ReportJob) -> str:
    """What the report is about, by name: the city, the assessed enterprise, the dossier's
    enterprise, or 全国."""
    if job.kind == ReportKind.CITY and job.city is not None:
        return job.city.name
    if job.kind == ReportKind.ASSESSMENT and job.assessment is not None:
        return job.assessment.enterprise.name
    if job.kind == ReportKind.DOSSIER and job.enterprise is not None:
        return job.enterprise.name
    return "全国"


def report_filename(job: ReportJob) -> str:
    """The download's name, "<report name>_<subject>_<as of>.pdf", the report name being the
    kind's one label; made safe ("/" in a name too) by sme_pilot.downloads."""
    subject = report_subject(job)
    as_of = job.snapshot.get("as_of") or job.params.get("as_of")
    if not as_of:
        as_of = timezone.localtime(job.finished_at or job.created_at).date().isoformat()
    return f"{ReportKind(job.kind).label}_{subject}_{as_of}.pdf"
