"""The questionnaire (edit or read), its autosave endpoint, submission with the pledge, and the
result page. Every lookup goes through `assessment_get_visible`: out of scope is 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.requests import AuthenticatedHttpRequest

from .. import scoring, selectors, services
from ..forms import AutosaveForm, OnsiteStartForm, SubmitForm, autosave_value
from ..models import Assessment, Method, Source, State
from . import common, layout

RESULT_STATES = (State.SUBMITTED, State.CONFIRMED)


@login_required
def questionnaire(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assessment = selectors.assessment_get_visible(user=user, pk=pk)
    indicator = common.indicator_of(assessment)
    if indicator is None:  # an imported level has no answers to show
        return redirect("assessments:assessment_result", pk=assessment.pk)
    editable = common.offers_editing(user, assessment)
    based_on = assessment.based_on if assessment.method == Method.ONSITE else None
    evidence = selectors.evidence_by_item(user=user, assessment=assessment)
    # The enterprise's files, next to the assessor's own, read-only (only if the user sees it).
    self_evidence = selectors.evidence_by_item(user=user, assessment=based_on) if based_on else {}
    context = {
        "assessment": assessment,
        "indicator": indicator,
        "layout": layout.build(
            assessment,
            indicator,
            based_on=based_on,
            evidence=evidence,
            self_evidence=self_evidence,
        ),
        "editable": editable,
        "onsite": assessment.method == Method.ONSITE,
        "offers_return": common.offers_return(user, assessment),
        "offers_correction": common.offers_correction(user, assessment)
        and not assessment.superseded_by.exists(),
        "onsite_form": OnsiteStartForm(),
        "has_result": assessment.state in RESULT_STATES,
        "limits": common.evidence_limits(),
    }
    return render(request, "assessments/questionnaire.html", context)


@login_required
@require_POST
def autosave(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Save one field; answers with the status line and out-of-band updates (htmx fragments).

    200: saved (or unchanged); 409: the field changed elsewhere, nothing written; 400: refused,
    with the reason next to the field. A viewer who may not edit gets 403 from the service.
    """
    user = request.user
    assessment = selectors.assessment_get_visible(user=user, pk=pk)
    form = AutosaveForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "assessments/_autosave_error.html",
            {"slug": "", "message": "保存请求不完整，请刷新页面后重试。"},
            status=400,
        )
    field_name: str = form.cleaned_data["field"]
    slug = common.field_slug(field_name)
    indicator = common.indicator_of(assessment)
    question = None
    if indicator is not None:
        try:
            question = indicator.question(field_name)
        except KeyError:
            question = None
    value: Any = autosave_value(
        request.POST, field=field_name, is_list=question is not None and question.kind == "multi"
    )
    if value == "" and not field_name.startswith(services.NOTE_PREFIX):
        value = None  # an emptied input clears the answer
    try:
        result = services.assessment_autosave(
            actor=user,
            assessment_id=assessment.pk,
            field_name=field_name,
            value=value,
            base_version=form.cleaned_data["base_version"],
        )
    except services.AutosaveConflict as conflict:
        assert indicator is not None
        shown = common.shown_value(indicator, conflict.field, conflict.current)
        message = f"该项已在其他窗口或由他人修改为 {shown}，请刷新页面后确认。本次修改没有保存。"
        return render(
            request,
            "assessments/_autosave_error.html",
            {"slug": slug, "message": message, "conflict": True},
            status=409,
        )
    except ValidationError as exc:
        messages = [m for group in common.error_messages(exc).values() for m in group]
        return render(
            request,
            "assessments/_autosave_error.html",
            {"slug": slug, "message": "；".join(messages)},
            status=400,
        )
    assert indicator is not None
    return render(
        request,
        "assessments/_autosave_saved.html",
        {
            "assessment": assessment,
            "result": result,
            "slug": slug,
            "saved_at": timezone.localtime(),
            "checks": layout.checks_by_question(indicator, result.messages),
            "answered": result.answered,
            "total": result.total_items,
        },
    )


@login_required
def submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assessment = selectors.assessment_get_visible(user=user, pk=pk)
    is_owner = assessment.method == Method.SELF and policy.is_own_enterprise(
        user, assessment.enterprise_id
    )
    if request.method == "POST":
        form = SubmitForm(request.POST)
        if form.is_valid():
            try:
                services.assessment_submit(
                    actor=user,
                    assessment_id=assessment.pk,
                    signer_name=form.cleaned_data["signer_name"],
                    signer_title=form.cleaned_data["signer_title"],
                    pledge_accepted=form.cleaned_data["pledge"],
                )
            except ValidationError as exc:
                for key, messages in common.error_messages(exc).items():
                    target = key if key in SubmitForm.SERVICE_FIELDS else None
                    for message in messages:
                        form.add_error(target, message)
            else:
                return redirect("assessments:assessment_result", pk=assessment.pk)
        assessment.refresh_from_db()
    else:
        if not is_owner:
            raise Http404("没有找到该评测")
        if not assessment.is_editable:
            return redirect("assessments:assessment_result", pk=assessment.pk)
        form = SubmitForm()  # the signer types their own name and title, never prefilled
    indicator = common.indicator_of(assessment)
    if indicator is None:
        raise Http404("没有找到该评测")
    missing = common.missing_links(
        indicator, scoring.missing_items(assessment.answers, assessment.scenes, indicator)
    )
    preview = None if missing else services.assessment_preview(assessment=assessment)
    context = {
        "assessment": assessment,
        "form": form,
        "missing": missing,
        "pledge": selectors.current_pledge_text(),
        "preview": preview,
        "preview_level_name": indicator.level_names.get(preview.level, "") if preview else "",
    }
    return render(request, "assessments/submit.html", context)


@login_required
def result(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assessment = selectors.assessment_get_visible(user=user, pk=pk)
    if assessment.state not in RESULT_STATES:
        return redirect("assessments:assessment_detail", pk=assessment.pk)
    indicator = common.indicator_of(assessment)
    context: dict[str, Any] = {
        "assessment": assessment,
        "indicator": indicator,
        "offers_return": common.offers_return(user, assessment),
        "offers_correction": common.offers_correction(user, assessment)
        and not assessment.superseded_by.exists(),
        "onsite_form": OnsiteStartForm(),
        "evidence_items": common.evidence_items(
            indicator, selectors.evidence_by_item(user=user, assessment=assessment)
        ),
    }
    scored = (
        services.assessment_preview(assessment=assessment)
        if indicator is not None and assessment.source != Source.IMPORT
        else None
    )
    if indicator is not None and scored is not None:
        context.update(_result_context(assessment, indicator, scored))
    return render(request, "assessments/result.html", context)


def _result_context(
    assessment: Assessment, indicator: scoring.Indicator, scored: scoring.Result
) -> dict[str, Any]:
    level = assessment.level if assessment.level is not None else scored.level
    dimensions = [
        {"code": d.code, "name": d.name, "score": scored.dimensions[d.code], "max": d.max_points}
        for d in indicator.dimensions
    ]
    chart = {  # numbers for ECharts; the page shows the exact Decimal scores as text
        "names": [d.name for d in indicator.dimensions],
        "scores": [float(scored.dimensions[d.code]) for d in indicator.dimensions],
        "max": [float(d.max_points) for d in indicator.dimensions],
    }
    scenes = [{"scene": s, "rating": assessment.scenes.get(s.code)} for s in indicator.scenes]
    gates = [
        {
            "level": g.level,
            "name": indicator.level_names.get(g.level, str(g.level)),
            "min_score": g.min_score,
            "min_scenes": g.min_scenes,
            "min_constraint_scenes": g.min_constraint_scenes,
            "scenes": scored.scenes_at_or_above.get(g.level, 0),
            "constraint_scenes": scored.constraint_scenes_at_or_above.get(g.level, 0),
            "met": g.level <= scored.level,
        }
        for g in sorted(indicator.gates, key=lambda g: g.level)
    ]
    plan_questions: list[dict[str, Any]] = []
    plan_scenes: list[dict[str, Any]] = []
    nxt = scored.next_level
    if nxt is not None:
        for item in nxt.plan:
            if item.kind == "question":
                q = indicator.question(item.code)
                plan_questions.append(
                    {
                        "question": q,
                        "multi": q.kind == "multi",
                        "current": common.option_labels(q, _codes(item.current)),
                        # Only what changes: the options still to tick (fewest that cover the
                        # points) and any to clear, never the whole new answer.
                        "to_tick": common.option_labels(q, list(item.to_tick)),
                        "to_tick_count": len(item.to_tick),
                        "to_untick": common.option_labels(q, list(item.to_untick)),
                        "gain": item.gain,
                    }
                )
            else:
                plan_scenes.append(
                    {
                        "scene": indicator.scene(item.code),
                        "current": common.scene_level_label(item.current),
                        "target": common.scene_level_label(item.target),
                    }
                )
    return {
        "scored": scored,
        "level": level,
        "level_name": indicator.level_names.get(level, ""),
        "level_meaning": indicator.level_meanings.get(level, ""),
        "dimensions": dimensions,
        "chart": chart,
        "scenes": scenes,
        "gates": gates,
        "next_level": nxt,
        "next_level_name": indicator.level_names.get(nxt.level, "") if nxt else "",
        "next_level_gate": next((g for g in gates if g["level"] == nxt.level), None)
        if nxt
        else None,
        "plan_questions": plan_questions,
        "plan_scenes": plan_scenes,
    }


def _codes(text: str) -> list[str]:
    return [c.strip() for c in str(text).split(",") if c.strip()]
