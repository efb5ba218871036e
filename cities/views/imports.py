"""Import pages: upload and recent jobs, a job's preview or result, confirmation, progress.

Only city officials (their own city's sub-industries, enterprises and levels) and
administrators may import; for everyone else these pages do not exist (404).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from accounts.models import User
from accounts.requests import AuthenticatedHttpRequest
from sme_pilot import downloads

from ..imports import jobs, registry, selectors, template_files
from ..imports.results import error_summary
from ..models import ImportJob, ImportJobState

RECENT_JOBS = 20


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="导入类型")
    file = forms.FileField(label="文件（CSV 或 XLSX）")

    def __init__(self, *args: Any, kinds: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        kind_field.choices = [(k, registry.label(k)) for k in kinds]
        self.fields["file"].widget.attrs["accept"] = (
            ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )


def _importer(request: AuthenticatedHttpRequest) -> tuple[User, tuple[str, ...]]:
    user = request.user
    kinds = selectors.import_kinds_for(user=user)
    if not kinds:
        raise Http404
    return user, kinds


def _page_context(kinds: tuple[str, ...]) -> dict[str, Any]:
    return {
        "specs": [registry.spec(k) for k in kinds],
        "max_upload": settings.IMPORT_MAX_UPLOAD_BYTES,
        "max_rows": settings.IMPORT_MAX_ROWS,
        "uploads_per_hour": settings.IMPORT_UPLOADS_PER_HOUR,
    }


@login_required
def import_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user, kinds = _importer(request)
    retry_after: int | None = None
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, kinds=kinds)
        if form.is_valid():
            try:
                job = jobs.import_job_create(
                    kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"], actor=user
                )
            except ValidationError as exc:
                form.add_error("file", exc.messages)
            except jobs.ImportUploadsTooFrequent as exc:
                form.add_error(None, exc.message)
                retry_after = exc.retry_after_seconds
            else:
                jobs.import_job_start(job)
                return redirect("cities:import_detail", pk=job.pk)
    else:
        form = UploadForm(initial={"kind": request.GET.get("kind") or "enterprises"}, kinds=kinds)
    recent = selectors.import_job_list_visible_to(user=user)[:RECENT_JOBS]
    context = {"form": form, "jobs": recent, **_page_context(kinds)}
    if retry_after is None:
        return render(request, "cities/imports/list.html", context)
    response = render(request, "cities/imports/list.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


@login_required
def import_template(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    """The XLSX template of a kind the user may import (any other kind does not exist here)."""
    user, kinds = _importer(request)
    if kind not in kinds:
        raise Http404
    spec = registry.spec(kind)
    examples = selectors.import_template_examples(user=user, kind=kind)
    return downloads.attachment_response(
        template_files.template_xlsx(spec, examples=examples),
        name=template_files.template_filename(spec),
        content_type=template_files.CONTENT_TYPE,
    )


@login_required
def import_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user, kinds = _importer(request)
    job = selectors.import_job_get_visible(user=user, pk=pk)
    form = UploadForm(initial={"kind": job.kind}, kinds=kinds)
    context = {
        "job": job,
        "form": form,
        "states": ImportJobState,
        "error_summary": error_summary(job.error_rows, job.error_count),
        **_page_context(kinds),
    }
    return render(request, "cities/imports/detail.html", context)


@login_required
@require_POST
def import_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user, _ = _importer(request)
    job = selectors.import_job_get_visible(user=user, pk=pk)
    if not jobs.import_job_confirm(job):
        messages.warning(request, "该导入任务当前不能确认导入（可能已经确认过）。")
    return redirect("cities:import_detail", pk=job.pk)


@login_required
def import_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The progress bar fragment; once the job has finished, htmx reloads the whole page."""
    user, _ = _importer(request)
    job: ImportJob = selectors.import_job_get_visible(user=user, pk=pk)
    if job.is_finished and getattr(request, "htmx", False):
        return HttpResponseClientRefresh()
    return render(request, "cities/imports/_progress.html", {"job": job})
