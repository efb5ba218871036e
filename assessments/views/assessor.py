"""On-site assessment (现场评定) by the city's assessors: their enterprise list, the queue of
self-assessments waiting for them (待评定), starting an on-site assessment, confirming it in two
steps (a preview, then the confirmation), returning a self-assessment, correcting a confirmed
result.

Pages are 404 for anyone who is not an assessor of the city; actions answer the services'
PermissionDenied (403) to a user who may see the assessment but not act on it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.requests import AuthenticatedHttpRequest
from cities.selectors import (
    RosterFilters,
    city_list_visible_to,
    enterprise_get_visible,
    roster_for_city,
)
from sme_pilot.inputs import parse_id

from .. import selectors, services
from ..forms import ConfirmForm, OnsiteStartForm, QueueFilterForm, ReturnForm
from ..models import LEVEL_NAMES, Method, Purpose, State
from . import common

PAGE_SIZE = 50


@login_required
def assessor_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not policy.has(user, policy.Ability.ASSESS_ONSITE) or user.city_id is None:
        raise Http404
    city = city_list_visible_to(user=user).filter(pk=user.city_id).first()
    if city is None:
        raise Http404
    filters = RosterFilters(
        sub_industry=request.GET.get("sub_industry", ""), q=request.GET.get("q", "")
    )
    enterprises = selectors.with_latest_self_assessment(
        selectors.with_current_level(roster_for_city(user=user, city=city, filters=filters))
    )
    page = Paginator(enterprises, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "city": city,
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "sub_industries": city.sub_industries.order_by("code"),
        "onsite_form": OnsiteStartForm(),
    }
    return render(request, "assessments/assessor_list.html", context)


@login_required
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """待评定: the city's submitted self-assessments waiting for an on-site assessment."""
    user = request.user
    if not policy.has(user, policy.Ability.ASSESS_ONSITE) or user.city_id is None:
        raise Http404
    form = QueueFilterForm(request.GET)
    purpose = form.cleaned_data["purpose"] if form.is_valid() else ""
    rows = selectors.onsite_queue_visible_to(user=user, purpose=purpose or None)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "form": form,
        "query": query.urlencode(),
        "onsite_form": OnsiteStartForm(),
    }
    return render(
        request, "assessments/queue.html", context, status=200 if form.is_valid() else 400
    )


@login_required
@require_POST
def onsite_start(request: AuthenticatedHttpRequest, uscc: str) -> HttpResponse:
    user = request.user
    enterprise = enterprise_get_visible(user=user, uscc=uscc)
    if not policy.has(user, policy.Ability.ASSESS_ONSITE):
        raise PermissionDenied("只有现场评定员可以开始现场评定。")
    form = OnsiteStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择评定目的：改造前或改造后。")
        return redirect("assessments:enterprise_assessments", uscc=enterprise.uscc)
    try:
        assessment = services.assessment_create(
            actor=user, enterprise=enterprise, purpose=form.cleaned_data["purpose"]
        )
    except ValidationError as exc:
        for errors in common.error_messages(exc).values():
            for message in errors:
                messages.error(request, message)
        return redirect("assessments:enterprise_assessments", uscc=enterprise.uscc)
    purpose = Purpose(assessment.purpose).label
    if assessment.based_on_id:
        messages.success(
            request,
            f"已开始{purpose}现场评定，答案已按企业最近提交的{purpose}自评预填，请逐项核实。",
        )
    elif selectors.latest_submitted_self_assessment(
        enterprise=enterprise, purpose=assessment.purpose
    ):
        messages.warning(
            request,
            f"已开始{purpose}现场评定。企业最近提交的{purpose}自评使用另一版评测指标，"
            "答案未预填，请逐项填写。",
        )
    else:
        messages.warning(
            request,
            f"已开始{purpose}现场评定。该企业没有已提交的{purpose}自评，答案未预填，请逐项填写。",
        )
    return redirect("assessments:assessment_detail", pk=assessment.pk)


@login_required
def confirm_preview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The first step of a confirmation: the result it would give, and what to look at twice."""
    user = request.user
    assessment = selectors.assessment_get_visible(user=user, pk=pk)
    if assessment.method != Method.ONSITE or not common.is_city_assessor(
        user, assessment.enterprise
    ):
        raise Http404("没有找到该评测")
    if not assessment.is_editable or assessment.revision_id is None:
        return redirect("assessments:assessment_result", pk=assessment.pk)
    preview = services.confirm_preview(actor=user, assessment_id=assessment.pk)
    indicator = preview.indicator
    result = preview.result
    context = {
        "assessment": preview.assessment,
        "preview": preview,
        "result": result,
        "level_name": indicator.level_names.get(result.level, "") if result else "",
        "missing": common.missing_links(indicator, preview.completeness.missing),
        "invalid": common.error_links(indicator, preview.completeness.errors),
        "form": ConfirmForm(initial={"edit_version": preview.assessment.edit_version}),
    }
    return render(request, "assessments/confirm_preview.html", context)


def _previewed_version(request: AuthenticatedHttpRequest) -> int | None:
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return None
    try:
        return parse_id(form.cleaned_data["edit_version"], field="edit_version")
    except ValidationError:
        return None


@login_required
@require_POST
def confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The second step: confirms what the preview showed (its `edit_version`). Without one
    (a form from elsewhere, an old page) the assessor is sent to the preview first."""
    user = request.user
    assessment = selectors.assessment_get_visible(user=user, pk=pk)
    version = _previewed_version(request)
    if (
        version is None
        and assessment.method == Method.ONSITE
        and common.is_city_assessor(user, assessment.enterprise)
    ):
        messages.info(request, "请先在确认预览中核对评定结果，再确认。")
        return redirect("assessments:assessment_confirm_preview", pk=assessment.pk)
    # Anyone else is refused by the service (403, or a self-assessment's 400) before any
    # version matters: only the city's assessor confirms, and only on-site assessments.
    try:
        confirmed = services.assessment_confirm(
            actor=user, assessment_id=assessment.pk, previewed_version=version
        )
    except ValidationError as exc:
        assessment.refresh_from_db(fields=["state"])
        if assessment.method == Method.ONSITE and assessment.state == State.CONFIRMED:
            # A second click, or a confirmation that lost the race to another.
            messages.info(request, "该评定结果已经确认。")
            return redirect("assessments:assessment_result", pk=assessment.pk)
        for key, errors in common.error_messages(exc).items():
            if key == "answers" and assessment.method == Method.ONSITE:
                continue  # the preview lists the missing items, each linked to its question
            for message in errors:
                messages.error(request, message)
        if assessment.method == Method.ONSITE:
            return redirect("assessments:assessment_confirm_preview", pk=assessment.pk)
        return redirect("assessments:assessment_detail", pk=assessment.pk)
    level = LEVEL_NAMES.get(confirmed.level or 0, "")
    messages.success(request, f"评定结果已确认：{level}。该结果即为企业当前的数字化水平等级。")
    return redirect("assessments:assessment_result", pk=confirmed.pk)


@login_required
def return_for_correction(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assessment = selectors.assessment_get_visible(user=user, pk=pk)
    if request.method == "POST":
        form = ReturnForm(request.POST)
        if form.is_valid():
            try:
                services.assessment_return(
                    actor=user, assessment_id=assessment.pk, comment=form.cleaned_data["comment"]
                )
            except ValidationError as exc:
                for key, errors in common.error_messages(exc).items():
                    for message in errors:
                        form.add_error("comment" if key == "comment" else None, message)
            else:
                messages.success(request, "已退回企业修改，企业将看到您的退回意见。")
                return redirect(
                    "assessments:enterprise_assessments", uscc=assessment.enterprise.uscc
                )
    else:
        if not common.offers_return(user, assessment):
            raise Http404("没有找到该评测")
        form = ReturnForm()
    return render(request, "assessments/return.html", {"assessment": assessment, "form": form})


@login_required
@require_POST
def correct(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assessment = selectors.assessment_get_visible(user=user, pk=pk)
    try:
        correction = services.assessment_correct(actor=user, assessment=assessment)
    except ValidationError as exc:
        existing = assessment.superseded_by.order_by("-id").first()
        if exc.code == "already_corrected" and existing is not None:
            # A second click, or a request that lost the race to another: the one correction.
            messages.info(request, "该评定结果已有更正评定，请在更正评定中修改。")
            return redirect("assessments:assessment_detail", pk=existing.pk)
        for errors in common.error_messages(exc).values():
            for message in errors:
                messages.error(request, message)
        return redirect("assessments:assessment_result", pk=assessment.pk)
    messages.success(
        request, "已创建更正评定：修改后确认，新的结果将取代原评定结果（原结果保留备查）。"
    )
    return redirect("assessments:assessment_detail", pk=correction.pk)
