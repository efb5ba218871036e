"""Evidence files (佐证材料) of questionnaire items: upload, delete, download.

Upload and delete answer an htmx request with the item's evidence area (`_evidence.html`, 400
with the reason next to the file input), and a plain form POST (no JavaScript) with a redirect
back to the item, the reason as a message. Downloads are attachments of the stored type, never
rendered inline. Every lookup is scoped: out of scope is 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedHttpRequest
from sme_pilot.downloads import stored_upload_response
from sme_pilot.errors import Invalid

from .. import selectors, services
from ..forms import EvidenceUploadForm
from ..models import Assessment
from . import common


def _is_htmx(request: AuthenticatedHttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _answer(
    request: AuthenticatedHttpRequest, assessment: Assessment, item: str, error: str = ""
) -> HttpResponse:
    """The item's evidence area (htmx), or back to the item on the questionnaire page."""
    if not _is_htmx(request):
        if error:
            messages.error(request, f"佐证材料（{item}）：{error}")
        url = reverse("assessments:assessment_detail", args=[assessment.pk])
        return redirect(f"{url}#ev-{item}")
    files = selectors.evidence_by_item(user=request.user, assessment=assessment).get(item, [])
    context = {
        "assessment": assessment,
        "code": item,
        "files": files,
        "editable": common.offers_editing(request.user, assessment),
        "error": error,
        "limits": common.evidence_limits(),
    }
    return render(request, "assessments/_evidence.html", context, status=400 if error else 200)


def _known_item(assessment: Assessment, item: str) -> str:
    """The item as an element id may carry it: one of the indicator's codes, else ""."""
    indicator = common.indicator_of(assessment)
    if indicator is None:
        return ""
    codes = {q.code for q in indicator.questions} | {s.code for s in indicator.scenes}
    return item if item in codes else ""


@login_required
@require_POST
def evidence_upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment = selectors.assessment_get_visible(user=request.user, pk=pk)
    form = EvidenceUploadForm(request.POST, request.FILES)
    item = _known_item(assessment, str(form.data.get("item", "")))
    if not item:
        raise Invalid("未知的题目或场景，请刷新页面后重试。")
    if not form.is_valid():
        problems = [str(m) for m in form.errors.get("file", ["请求无效"])]
        return _answer(request, assessment, item, "；".join(problems))
    try:
        services.evidence_add(
            actor=request.user,
            assessment_id=assessment.pk,
            item=item,
            upload=form.cleaned_data["file"],
        )
    except ValidationError as exc:
        problems = [m for group in common.error_messages(exc).values() for m in group]
        return _answer(request, assessment, item, "；".join(problems))
    return _answer(request, assessment, item)


@login_required
@require_POST
def evidence_delete(request: AuthenticatedHttpRequest, pk: int, evidence_id: int) -> HttpResponse:
    row = selectors.evidence_get_visible(user=request.user, assessment_id=pk, pk=evidence_id)
    assessment = row.assessment
    try:
        services.evidence_delete(
            actor=request.user, assessment_id=assessment.pk, evidence_id=row.pk
        )
    except ValidationError as exc:
        problems = [m for group in common.error_messages(exc).values() for m in group]
        return _answer(request, assessment, row.item, "；".join(problems))
    return _answer(request, assessment, row.item)


@login_required
def evidence_download(
    request: AuthenticatedHttpRequest, pk: int, evidence_id: int
) -> HttpResponseBase:
    row = selectors.evidence_get_visible(user=request.user, assessment_id=pk, pk=evidence_id)
    return stored_upload_response(
        request,
        row,
        missing="佐证材料文件不存在",
        event="evidence_download",
        evidence_id=row.pk,
        assessment_id=pk,
    )
