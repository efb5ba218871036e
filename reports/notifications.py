"""Report ready (issue 16): every requester of a job learns that its PDF can be downloaded.

Called once per job by `services.report_job_run`, right after its conditional claim to done
(so a second delivery of the task notifies nobody again).
"""

from __future__ import annotations

from django.urls import reverse

from notifications.choices import Kind
from notifications.services import Event, notify_on_commit

from .models import ReportJob


def report_ready(job: ReportJob) -> None:
    requesters = list(job.requesters.values_list("pk", flat=True))
    if job.requested_by_id is not None:
        requesters.append(job.requested_by_id)
    notify_on_commit(
        recipients=sorted(set(requesters)),
        event=Event(
            kind=Kind.REPORT_READY,
            title=f"{job.get_kind_display()}已生成，可以下载",
            link=reverse("reports:report_detail", args=[job.pk]),
            subject_type="report_job",
            subject_id=job.pk,
        ),
    )
