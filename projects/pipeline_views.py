"""The pipeline's pages: the application (申报入库) and one page per stage move.

Each move page shows what the move needs (the documents still missing, the after-level, the
entitlement…), a form that only parses, and hands the input to `projects.services.pipeline`,
which decides. A move the user may not make now is answered by the service's `refusal`: 404 out
of scope, 403 for a role that never makes it, 409 with the stage table's reason otherwise.
"""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from accounts.requests import AuthenticatedHttpRequest
from assessments.choices import Purpose, State
from assessments.models import Assessment
from cities.models import Enterprise
from providers.selectors import active_providers, scene_names
from sme_pilot.errors import NotFound

from . import forms, rules
from .choices import DocType
from .models import Project
from .selectors import projects, queues
from .services import pipeline

Move = rules.Move


def _provider_choices(city_id: int) -> list[tuple[int, str]]:
    return [(p.pk, p.name) for p in active_providers(city_id).only("pk", "name")]


def _baselines(project: Project) -> list[tuple[int, str]]:
    rows = Assessment.objects.filter(
        enterprise_id=project.enterprise_id,
        purpose=Purpose.BASELINE,
        state__in=(State.SUBMITTED, State.CONFIRMED),
    ).order_by("-assessed_on", "-id")
    return [
        (a.pk, f"{a.assessed_on:%Y-%m-%d} {a.get_method_display()} {a.level or '—'} 级")
        for a in rows
    ]


def _last_comment(project: Project, move: Move) -> str:
    event = project.events.filter(move=move.value).order_by("-at", "-id").first()
    return event.comment if event else ""


def _missing(project: Project, *doc_types: str) -> list[str]:
    present = set(project.documents.values_list("doc_type", flat=True))
    labels = dict(DocType.choices)
    return [labels[t] for t in doc_types if t not in present]


def _form(move: Move, project: Project, data: Any) -> tuple[django_forms.Form, dict[str, Any]]:
    """The move's form and what its page shows beside it."""
    city_id = project.enterprise.city_id
    if move is Move.ADMIT:
        return forms.AdmitForm(data, providers=_provider_choices(city_id)), {}
    if move in (Move.REJECT, Move.RETURN_FILING, Move.WITHDRAW):
        return forms.ReasonForm(data), {}
    if move is Move.DIAGNOSE:
        diagnose = forms.DiagnoseForm(data, scenes=scene_names(), baselines=_baselines(project))
        return diagnose, {"missing": _missing(project, rules.DOC_DIAGNOSIS_REPORT)}
    if move is Move.SELECT_PROVIDER:
        library = (
            active_providers(city_id).prefetch_related("products").order_by("category", "name")
        )
        form = forms.SelectProviderForm(data, providers=[(p.pk, p.name) for p in library])
        return form, {"library": library, "scene_names": scene_names()}
    if move is Move.FILE_CONTRACT:
        initial: dict[str, Any] = {
            "contract_no": project.contract_no,
            "signed_on": project.contract_signed_on,
            "contract_amount": project.contract_amount,
            "planned_completion_on": project.planned_completion_on,
        }
        initial.update({line.category: line.amount for line in project.lines.all()})
        return forms.ContractForm(data, initial=initial), {
            "missing": _missing(project, rules.DOC_CONTRACT),
            "returned": _last_comment(project, Move.RETURN_FILING)
            if project.filing_state == "returned"
            else "",
        }
    if move is Move.APPLY_ACCEPTANCE:
        return forms.ApplyAcceptanceForm(data), {
            "missing": _missing(
                project, rules.DOC_INVOICE, rules.DOC_PAYMENT_PROOF, rules.DOC_SUMMARY
            ),
            "post_assessment": pipeline.post_self_assessment(project),
            "rectification": project.rectification if project.acceptance_failed_on else "",
        }
    if move is Move.SCHEDULE_ACCEPTANCE:
        return forms.ScheduleForm(data, initial={"on": timezone.localdate()}), {}
    if move in (Move.ACCEPT, Move.FAIL_ACCEPTANCE):
        form_class = forms.AcceptForm if move is Move.ACCEPT else forms.FailAcceptanceForm
        level = pipeline.after_level_on(project, timezone.localdate())
        return form_class(data, checklist=dict(pipeline.CHECKLIST)), {
            "after_level": level,
            "min_level": project.enterprise.city.batch.min_level,
            "missing_all": [
                f"{rules.STAGE_LABELS[s]}：{dict(DocType.choices)[t]}"
                for s, t in rules.missing_documents(
                    projects.reached_stages(project),
                    project.documents.values_list("doc_type", flat=True),
                )
            ],
        }
    if move is Move.APPROVE_SUBSIDY:
        return forms.SubsidyForm(data), {"entitlement": projects.entitlement_of(project)}
    if move is Move.PAY_SUBSIDY:
        initial = {"central": project.subsidy_central, "local": project.subsidy_local}
        return forms.PaymentForm(data, initial=initial), {}
    return forms.CommentForm(data), {}


def _apply_errors(form: django_forms.Form, exc: ValidationError) -> None:
    for field, problems in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


@login_required
def project_move(request: AuthenticatedHttpRequest, pk: int, move: str) -> HttpResponse:
    try:
        step = Move(move)
    except ValueError:
        raise NotFound("页面不存在") from None
    project = projects.project_get_visible(user=request.user, pk=pk)
    refused = pipeline.refusal(request.user, project, step)
    if refused is not None:
        raise refused
    form, extra = _form(step, project, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            pipeline.perform(
                actor=request.user, project_id=project.pk, move=step, data=form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"已{rules.MOVE_LABELS[step]}。")
            return redirect("projects:project_detail", pk=project.pk)
    context = {
        "project": project,
        "move": step,
        "label": rules.MOVE_LABELS[step],
        "form": form,
        "furthest_label": _furthest_label(project),
        **extra,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "projects/move.html", context, status=status)


def _furthest_label(project: Project) -> str:
    stage = projects.furthest(project)
    return rules.STAGE_LABELS[stage] if stage else ""


@login_required
def project_apply(request: AuthenticatedHttpRequest) -> HttpResponse:
    """申报入库: the enterprise for itself; a city official for an enterprise of its city, named
    by its USCC."""
    kind = pipeline.actor_of(request.user)
    if kind not in rules.MOVE_ACTORS[Move.APPLY]:
        raise NotFound("页面不存在")
    for_city = kind == rules.CITY_OFFICIAL
    if not for_city and projects.own_project(user=request.user) is not None:
        messages.info(request, "贵企业本期试点已申报改造项目。")
        return redirect("projects:my_project")
    data = request.POST if request.method == "POST" else None
    form = forms.ApplyForm(data, declaration=dict(pipeline.DECLARATION), for_city=for_city)
    if request.method == "POST" and form.is_valid():
        enterprise_id = None
        if for_city:
            enterprise_id = (
                Enterprise.objects.filter(
                    uscc=form.cleaned_data["uscc"], city_id=policy.scope_of(request.user).city_id
                )
                .values_list("pk", flat=True)
                .first()
            )
            if enterprise_id is None:
                form.add_error("uscc", "本市企业名录中没有该统一社会信用代码")
        if not form.errors:
            try:
                project = pipeline.apply(
                    actor=request.user,
                    enterprise_id=enterprise_id,
                    declaration=form.cleaned_data,
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, "已提交申报，等待区县初审。")
                return redirect(reverse("projects:project_detail", args=[project.pk]))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "projects/apply.html", {"form": form, "for_city": for_city}, status=status
    )


QUEUE_PREVIEW = 10
QUEUE_PAGE_SIZE = 50


def _queue_rows(queue: queues.Queue, rows: Any) -> list[dict[str, Any]]:
    return [
        {
            "project": p,
            "stage_label": _furthest_label(p),
            "move_url": reverse("projects:project_move", args=[p.pk, queue.move.value])
            if queue.move is not None
            else "",
        }
        for p in rows
    ]


@login_required
def work_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """待办: every queue of the user's role with its count and the oldest waiting projects, or one
    queue in full (`?queue=key`, paginated)."""
    user = request.user
    if not queues.queues_for(user):
        raise NotFound("页面不存在")
    key = request.GET.get("queue", "")
    if key:
        queue, rows = queues.queue_projects(user, key[:40])
        page = Paginator(rows, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request,
            "projects/work_queue_one.html",
            {"queue": queue, "page": page, "rows": _queue_rows(queue, page)},
        )
    counts = queues.queue_counts(user)
    sections: list[dict[str, Any]] = []
    for queue in queues.queues_for(user):
        _, rows = queues.queue_projects(user, queue.key)
        preview = list(rows[:QUEUE_PREVIEW]) if counts[queue.key] else []
        sections.append(
            {"queue": queue, "count": counts[queue.key], "rows": _queue_rows(queue, preview)}
        )
    returned = returned_assessments(user)
    return render(
        request,
        "projects/work_queue.html",
        {
            "sections": sections,
            "returned": returned,
            "own_project": projects.own_project(user=user),
            "total": sum(counts.values()) + len(returned),
        },
    )


def returned_assessments(user: object) -> list[Assessment]:
    """An enterprise's self-assessments returned for correction (退回待修改)."""
    scope = policy.scope_of(user)
    if scope.reach is not policy.Reach.ENTERPRISE or scope.enterprise_id is None:
        return []
    return list(
        Assessment.objects.filter(enterprise_id=scope.enterprise_id, state=State.RETURNED).order_by(
            "-returned_at", "-id"
        )[:QUEUE_PREVIEW]
    )
