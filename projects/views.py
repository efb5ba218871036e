"""Project pages.

- The subsidy policy (奖补政策) of a city: its rules in words, each with a worked example, for
  whoever sees the city's dashboards.
- The project list of city staff (filters, search, pagination, XLSX export), the project's
  一企一档 (timeline, moves, investment, subsidy, documents by stage and the missing ones), the
  enterprise's 我的改造项目, and the documents' upload, delete and download.

Out of scope is 404.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.requests import AuthenticatedHttpRequest
from cities import selectors as city_selectors
from cities.imports.service import importable_kinds
from sme_pilot import files, xlsx
from sme_pilot.db import replica_reads
from sme_pilot.downloads import stored_upload_response, temporary_file_response
from sme_pilot.errors import Forbidden, NotFound

from . import exports, rules
from .choices import DocType
from .forms import DocumentUploadForm
from .imports import SUBSIDY_RULES
from .models import Project, TransformationSample
from .selectors import projects
from .selectors import subsidy_rules as selectors
from .services import documents as document_services
from .services import pipeline


@login_required
def subsidy_policy(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    city = selectors.policy_city_get_visible(user=request.user, code=code)
    city_rules = list(selectors.subsidy_rules_visible_to(user=request.user).filter(city=city))
    items = [
        {"rule": rule, "text": rule.describe(), "example": rules.example(rule.terms())}
        for rule in city_rules
    ]
    return render(
        request,
        "projects/subsidy_policy.html",
        {
            "city": city,
            "items": items,
            "eligible": [rules.CATEGORY_LABELS[c] for c in rules.Category if c in rules.ELIGIBLE],
            "not_eligible": [
                rules.CATEGORY_LABELS[c] for c in rules.Category if c not in rules.ELIGIBLE
            ],
            "may_import": SUBSIDY_RULES in importable_kinds(request.user),
            "import_kind": SUBSIDY_RULES,
        },
    )


# --- the project list, the 一企一档 and its documents -----------------------------------------

PAGE_SIZE = 50


def _require_list(request: AuthenticatedHttpRequest) -> None:
    """The project list is for city staff (whoever sees the dashboards), district officials and
    providers, each within its scope; others get 404."""
    if not policy.sees_project_list(request.user):
        raise NotFound("页面不存在")


def _filtered(request: AuthenticatedHttpRequest) -> tuple[projects.ProjectFilters, Any]:
    filters = projects.ProjectFilters.from_query(request.GET)
    qs = projects.filter_projects(projects.project_list_visible_to(user=request.user), filters)
    return filters, qs


def _active_filters(
    filters: projects.ProjectFilters, names: dict[str, dict[Any, str]]
) -> list[dict[str, str]]:
    """The filters in force, each with its Chinese name, its value and the list without it."""
    f = filters
    shown: list[tuple[str, str, dict[str, Any]]] = []

    def named(field: str, value: Any) -> str:
        return names[field].get(value) or f"编号 {value}"

    if f.q:
        shown.append(("关键字", f.q, {"q": ""}))
    if f.city is not None:
        shown.append(("城市", named("city", f.city), {"city": None}))
    if f.without_district or f.district is not None:
        district = "未划分区县" if f.without_district else named("district", f.district)
        shown.append(("区县", district, {"district": None, "without_district": False}))
    if f.sub_industry is not None:
        shown.append(("细分行业", named("sub_industry", f.sub_industry), {"sub_industry": None}))
    if f.provider is not None:
        shown.append(("服务商", named("provider", f.provider), {"provider": None}))
    if f.stage:
        shown.append(("当前阶段", rules.STAGE_LABELS[rules.Stage(f.stage)], {"stage": ""}))
    if f.reached:
        shown.append(("已到达阶段", rules.STAGE_LABELS[rules.Stage(f.reached)], {"reached": ""}))
    if f.outcome:
        shown.append(("结果", projects.OUTCOME_LABELS[f.outcome], {"outcome": ""}))
    if f.overdue:
        shown.append(("逾期", projects.OVERDUE_KINDS[f.overdue], {"overdue": ""}))
    if f.as_of is not None:
        shown.append(("统计日", f.as_of.isoformat(), {"as_of": None}))
    return [
        {"label": label, "value": value, "remove": dataclasses.replace(f, **off).urlencode()}
        for label, value, off in shown
    ]


@login_required
def project_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_list(request)
    filters, qs = _filtered(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    visible = projects.project_list_visible_to(user=request.user)
    query = request.GET.copy()
    query.pop("page", None)
    rows = [
        {
            "project": p,
            "stage": stage,
            "stage_label": rules.STAGE_LABELS[stage] if stage else "",
            "status": exports.status_of(p),
        }
        for p in page
        for stage in [projects.furthest(p)]
    ]
    # The choices: the cities in scope; the districts and sub-industries of one city (the
    # user's, or the one chosen) when the list is within one city, every one in scope otherwise.
    cities = list(
        city_selectors.city_list_visible_to(user=request.user)
        .order_by("code")
        .values_list("pk", "name")
    )
    one_city = (
        cities[0][0] if len(cities) == 1 else filters.city if filters.city in dict(cities) else None
    )
    districts = [] if one_city is None else list(projects.district_choices(city_id=one_city))
    in_city = visible if one_city is None else visible.filter(enterprise__city_id=one_city)
    sub_industries = list(
        in_city.order_by()
        .values_list("enterprise__sub_industry_id", "enterprise__sub_industry__name")
        .distinct()
    )
    providers = list(
        visible.order_by()
        .filter(provider__isnull=False)
        .values_list("provider_id", "provider__name")
        .distinct()
    )
    names: dict[str, dict[Any, str]] = {
        "city": dict(cities),
        "district": dict(districts),
        "sub_industry": dict(sub_industries),
        "provider": dict(providers),
    }
    return render(
        request,
        "projects/project_list.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "active": _active_filters(filters, names),
            "query": query.urlencode(),
            "export_query": filters.urlencode(),
            "stages": [(s.value, rules.STAGE_LABELS[s]) for s in rules.STAGES],
            "outcomes": list(projects.OUTCOME_LABELS.items()),
            "overdue_kinds": list(projects.OVERDUE_KINDS.items()),
            "labels": rules.STAGE_LABELS,
            "cities": cities if len(cities) > 1 else [],
            "districts": districts,
            "no_district": projects.NO_DISTRICT,
            "sub_industries": sub_industries,
            "providers": providers,
            "several_cities": len(cities) > 1,
        },
    )


@login_required
@replica_reads()
def project_export(request: AuthenticatedHttpRequest) -> FileResponse:
    _require_list(request)
    _, qs = _filtered(request)
    codes = policy.sees_enterprise_codes(request.user)
    name = f"改造项目_{timezone.localdate().isoformat()}.xlsx"
    return temporary_file_response(
        lambda out: exports.projects_xlsx(out, qs, codes=codes),
        name=name,
        content_type=xlsx.CONTENT_TYPE,
    )


def _dossier(
    request: AuthenticatedHttpRequest, project: Project, form: DocumentUploadForm | None = None
) -> dict[str, Any]:
    """The 一企一档: timeline, who moved each stage, investment, subsidy, documents by stage."""
    user = request.user
    documents = list(projects.documents_of(project=project))
    by_stage = {s: [d for d in documents if d.stage == s.value] for s in rules.STAGES}
    labels = dict(DocType.choices)
    missing = rules.missing_documents(
        projects.reached_stages(project), [d.doc_type for d in documents]
    )
    lines = list(project.lines.all())
    may_upload = document_services.may_upload(user, project)
    stages = document_services.upload_stages(project)
    furthest = projects.furthest(project)
    return {
        "project": project,
        "sample": TransformationSample.objects.filter(project=project).first(),
        "may_mark_sample": project.accepted_on is not None
        and policy.marks_samples_of(user, project.enterprise.city_id),
        "moves": [
            {"value": m.value, "label": rules.MOVE_LABELS[m]}
            for m in pipeline.moves_for(user, project)
        ],
        "timeline": projects.timeline(project),
        "events": [
            {"event": e, "label": projects.move_label(e.move)}
            for e in project.events.select_related("actor").order_by("at", "id")
        ],
        "furthest": furthest,
        "furthest_label": rules.STAGE_LABELS[furthest] if furthest else "",
        "status": exports.status_of(project),
        "lines": [{"line": line, "eligible": line.category in rules.ELIGIBLE} for line in lines],
        "eligible_total": rules.eligible_investment((ln.category, ln.amount) for ln in lines),
        "entitlement": projects.entitlement_of(project),
        "documents_by_stage": [
            (rules.STAGE_LABELS[s], by_stage[s]) for s in rules.STAGES if by_stage[s]
        ],
        "missing": [(rules.STAGE_LABELS[s], labels[t]) for s, t in missing],
        "may_upload": may_upload,
        "form": (form or DocumentUploadForm(stages=stages)) if may_upload else None,
        "user_pk": user.pk,
        "limit": files.size_label(settings.PROJECT_DOCUMENT_MAX_FILE_BYTES),
    }


@login_required
def project_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = projects.project_get_visible(user=request.user, pk=pk)
    return render(request, "projects/project_detail.html", _dossier(request, project))


@login_required
def my_project(request: AuthenticatedHttpRequest) -> HttpResponse:
    """我的改造项目: the own enterprise's project (its 一企一档), or an empty state."""
    if not policy.has(request.user, policy.Ability.HAS_OWN_ENTERPRISE):
        raise NotFound("页面不存在")
    project = projects.own_project(user=request.user)
    if project is None:
        return render(request, "projects/my_project_empty.html", {})
    return render(request, "projects/project_detail.html", _dossier(request, project))


def _back(project: Project) -> HttpResponse:
    return redirect(f"{reverse('projects:project_detail', args=[project.pk])}#documents")


@login_required
@require_POST
def document_upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    project = projects.project_get_visible(user=request.user, pk=pk)
    stages = document_services.upload_stages(project)
    form = DocumentUploadForm(request.POST, request.FILES, stages=stages)
    if form.is_valid():
        try:
            document_services.document_add(
                actor=request.user,
                project_id=project.pk,
                stage=form.cleaned_data["stage"],
                doc_type=form.cleaned_data["doc_type"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, "材料已上传。")
            return _back(project)
    if not document_services.may_upload(request.user, project):
        raise Forbidden("您不能为该项目上传材料")
    context = _dossier(request, project, form)
    return render(request, "projects/project_detail.html", context, status=400)


@login_required
@require_POST
def document_delete(request: AuthenticatedHttpRequest, pk: int, document_id: int) -> HttpResponse:
    row = projects.document_get_visible(user=request.user, project_id=pk, pk=document_id)
    document_services.document_delete(
        actor=request.user, project_id=row.project_id, document_id=row.pk
    )
    messages.success(request, "材料已删除。")
    return _back(row.project)


@login_required
def document_download(
    request: AuthenticatedHttpRequest, pk: int, document_id: int
) -> HttpResponseBase:
    row = projects.document_get_visible(user=request.user, project_id=pk, pk=document_id)
    return stored_upload_response(
        request,
        row,
        missing="项目材料文件不存在",
        event="project_document_download",
        document_id=row.pk,
        project_id=pk,
    )
