"""Report pages, mounted at /reports/: my reports, request, status (polled), retry, download.

Requests and retries over the user's hourly limit of new renders get 我的报告 with the reason
and HTTP 429 (reports.services.report_request writes nothing then).

Every job lookup goes through the scoped selectors: a job whose subject the user cannot see is a
404, for the status page, its fragment and the download alike.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.policy import report_kinds
from accounts.requests import AuthenticatedHttpRequest
from assessments.choices import State
from assessments.selectors import assessment_list_visible_to
from cities.selectors import city_list_visible_to
from sme_pilot.inputs import AsOfError, parse_as_of, parse_id_or_none

from . import selectors, services
from .downloads import ReportNotReady, report_download_response
from .models import ReportJobState, ReportKind

ASSESSMENTS_OFFERED = 5


def _list_page(
    request: AuthenticatedHttpRequest,
    *,
    too_frequent: services.ReportRequestsTooFrequent | None = None,
    input_error: str = "",
) -> HttpResponse:
    user = request.user
    kinds = report_kinds(user)
    if not kinds:
        raise Http404  # a role that sees nothing to report on (a provider, for now)
    cities = city_list_visible_to(user=user).order_by("code") if "city" in kinds else []
    # The latest assessments in scope whose report the user may request right here; any other
    # assessment's report is requested on its result page.
    assessments = (
        assessment_list_visible_to(user=user)
        .exclude(state=State.DRAFT)
        .order_by("-assessed_on", "-pk")[:ASSESSMENTS_OFFERED]
        if ReportKind.ASSESSMENT in kinds
        else []
    )
    context = {
        "jobs": selectors.report_job_list_mine(user=user),
        "cities": cities,
        "can_national": ReportKind.NATIONAL in kinds,
        "assessments": assessments,
        "can_assessment": ReportKind.ASSESSMENT in kinds,
        "states": ReportJobState,
        "too_frequent": too_frequent,
        "input_error": input_error,
    }
    if input_error:
        return render(request, "reports/jobs/list.html", context, status=400)
    if too_frequent is None:
        return render(request, "reports/jobs/list.html", context)
    # 我的报告 with the reason on top: the user's existing reports are what they can use now.
    response = render(request, "reports/jobs/list.html", context, status=429)
    response["Retry-After"] = str(too_frequent.retry_after_seconds)
    return response


@login_required
def report_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _list_page(request)


@login_required
@require_POST
def report_request(request: AuthenticatedHttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    if kind not in ReportKind.values:
        raise Http404("没有这种报告")
    raw_id = request.POST.get("assessment_id", "").strip()
    raw_enterprise = request.POST.get("enterprise_id", "").strip()
    try:
        # No date: the data as of today; a malformed, too early or future one: refused.
        as_of = parse_as_of(request.POST.get("as_of"))
    except AsOfError as exc:
        return _list_page(request, input_error=str(exc))
    try:
        job = services.report_request(
            actor=request.user,
            kind=kind,
            city_code=request.POST.get("city_code", "").strip() or None,
            assessment_id=parse_id_or_none(raw_id) if raw_id else None,
            as_of=as_of,
            enterprise_id=parse_id_or_none(raw_enterprise) if raw_enterprise else None,
        )
    except services.ReportRequestsTooFrequent as exc:
        return _list_page(request, too_frequent=exc)
    if job.state == ReportJobState.DONE:
        messages.info(request, "数据未变化，已有的报告可直接下载。")
    return redirect("reports:report_detail", pk=job.pk)


@login_required
def report_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = selectors.report_job_get_visible(user=request.user, pk=pk)
    return render(request, "reports/jobs/detail.html", {"job": job})


@login_required
def report_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The progress fragment, polled every second until the job is done or failed."""
    job = selectors.report_job_get_visible(user=request.user, pk=pk)
    return render(request, "reports/jobs/_progress.html", {"job": job})


@login_required
@require_POST
def report_retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Ask again for a failed report: a fresh job on the data as it is now."""
    job = selectors.report_job_get_visible(user=request.user, pk=pk)
    if job.state != ReportJobState.FAILED:
        return redirect("reports:report_detail", pk=job.pk)
    params = job.params
    try:
        new = services.report_request(
            actor=request.user,
            kind=job.kind,
            city_code=params.get("city_code"),
            assessment_id=params.get("assessment_id"),
            as_of=dt.date.fromisoformat(params["as_of"]) if params.get("as_of") else None,
            enterprise_id=params.get("enterprise_id"),
        )
    except services.ReportRequestsTooFrequent as exc:
        return _list_page(request, too_frequent=exc)
    return redirect("reports:report_detail", pk=new.pk)


@login_required
def report_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    job = selectors.report_job_get_visible(user=request.user, pk=pk)
    try:
        return report_download_response(request, job=job, user=request.user)
    except ReportNotReady:
        raise Http404("报告尚未生成") from None
