"""一企一档批量下载 pages, mounted at /reports/dossiers/: the request form with a count preview and
the user's archives, an archive's page with its polled progress fragment, and the download.

Only the roles of `dossier_archive.may_pack` get anything but 404; an archive is its requester's
and is looked up in `archive_list_visible_to` (out of scope: 404). Over the limit of enterprises
or of requests per hour, the form comes back with the reason (400, 429 with Retry-After).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.policy import Reach, scope_of
from accounts.requests import AuthenticatedHttpRequest
from cities.models import PilotCity, SubIndustry
from cities.selectors import city_list_visible_to
from projects import rules
from projects.selectors.projects import ProjectFilters, district_choices
from sme_pilot.downloads import file_attachment_response
from sme_pilot.errors import Invalid, NotFound, TooFrequent
from sme_pilot.inputs import parse_id_or_none
from sme_pilot.observability import security_event

from . import dossier_archive as archives
from .models import DossierArchive

RECENT = 20


def _page(
    request: AuthenticatedHttpRequest,
    query: Any,
    *,
    error: str = "",
    status: int = 200,
    retry_after: int | None = None,
) -> HttpResponse:
    user = request.user
    if not archives.may_pack(user):
        raise NotFound("页面不存在")
    cities = list(city_list_visible_to(user=user).order_by("code"))
    city_id = parse_id_or_none(query.get("city", ""))
    city: PilotCity | None = next((c for c in cities if c.pk == city_id), None)
    if city is None and len(cities) == 1:
        city = cities[0]
    filters = ProjectFilters()
    count: int | None = None
    try:
        filters = archives.read_filters(query)
    except Invalid as exc:
        error, status = error or exc.message, max(status, 400)
    if city is not None and not error:
        count = archives.archive_count(user=user, city=city, filters=filters)
    district_scoped = scope_of(user).reach is Reach.DISTRICT
    context = {
        "cities": cities,
        "city": city,
        "filters": filters,
        "count": count,
        "limit": settings.DOSSIER_ZIP_MAX_ENTERPRISES,
        "districts": [] if city is None or district_scoped else district_choices(city_id=city.pk),
        "no_district": "none",
        "sub_industries": (
            list(SubIndustry.objects.filter(city=city).order_by("code").values_list("pk", "name"))
            if city is not None
            else []
        ),
        "stages": [(s.value, rules.STAGE_LABELS[s]) for s in rules.STAGES],
        "archives": archives.archive_list_visible_to(user=user)[:RECENT],
        "error": error,
    }
    response = render(request, "reports/dossiers/list.html", context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@login_required
def dossier_archive_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _page(request, request.GET)


@login_required
@require_POST
def dossier_archive_request(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not archives.may_pack(request.user):
        raise NotFound("页面不存在")
    try:
        archive = archives.archive_request(
            actor=request.user,
            city_id=parse_id_or_none(request.POST.get("city", "")),
            filters=archives.read_filters(request.POST),
        )
    except TooFrequent as exc:
        return _page(
            request,
            request.POST,
            error=exc.message,
            status=429,
            retry_after=exc.retry_after_seconds,
        )
    except Invalid as exc:
        return _page(request, request.POST, error=exc.message, status=400)
    return redirect("reports:dossier_archive_detail", pk=archive.pk)


@login_required
def dossier_archive_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    archive = archives.archive_get_visible(user=request.user, pk=pk)
    return render(request, "reports/dossiers/detail.html", {"archive": archive})


@login_required
def dossier_archive_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The progress fragment, polled every second until the archive is done or failed."""
    archive = archives.archive_get_visible(user=request.user, pk=pk)
    return render(request, "reports/dossiers/_progress.html", {"archive": archive})


@login_required
def dossier_archive_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    archive = archives.archive_get_visible(user=request.user, pk=pk)
    if archive.state != archives.State.DONE or not archive.file:
        raise Http404("压缩包尚未生成")
    try:
        handle = archive.file.open("rb")
    except FileNotFoundError:
        raise Http404("压缩包文件不存在") from None
    security_event("dossier_archive_download", request=request, archive_id=archive.pk)
    return file_attachment_response(handle, name=_filename(archive), content_type="application/zip")


def _filename(archive: DossierArchive) -> str:
    day = timezone.localtime(archive.finished_at or archive.created_at).date().isoformat()
    where = archive.city.name + (f"_{archive.district.name}" if archive.district else "")
    return f"一企一档_{where}_{archive.enterprise_count}家_{day}.zip"
