"""An enterprise's assessment history: its own list (我的评测) and, for the city and the ministry,
the history page reachable from the enterprise's detail page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.models import User
from accounts.requests import AuthenticatedHttpRequest
from cities.models import Enterprise
from cities.selectors import enterprise_get_visible, enterprise_list_visible_to

from .. import selectors, services
from ..forms import NewSelfAssessmentForm, OnsiteStartForm
from . import common


def _own_enterprise(user: User) -> Enterprise:
    if not policy.has(user, policy.Ability.SELF_ASSESS) or user.enterprise_id is None:
        raise Http404
    return enterprise_list_visible_to(user=user).get(pk=user.enterprise_id)


def _history_context(user: User, enterprise: Enterprise) -> dict[str, object]:
    current_id = common.current_assessment_id(enterprise)
    history = list(selectors.enterprise_assessment_history(user=user, enterprise=enterprise))
    current = next((a for a in history if a.pk == current_id), None)
    return {"enterprise": enterprise, "assessments": history, "current": current}


@login_required
def my_assessments(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    enterprise = _own_enterprise(user)
    context = {**_history_context(user, enterprise), "form": NewSelfAssessmentForm()}
    return render(request, "assessments/my_list.html", context)


@login_required
@require_POST
def assessment_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not policy.has(user, policy.Ability.SELF_ASSESS):
        raise PermissionDenied("只有企业用户可以新建自评。")
    enterprise = _own_enterprise(user)
    form = NewSelfAssessmentForm(request.POST)
    if form.is_valid():
        try:
            assessment = services.assessment_create(
                actor=user, enterprise=enterprise, purpose=form.cleaned_data["purpose"]
            )
        except ValidationError as exc:
            for key, errors in common.error_messages(exc).items():
                for message in errors:
                    form.add_error("purpose" if key == "purpose" else None, message)
        else:
            messages.success(
                request, f"已新建{assessment.get_purpose_display()}评测，填写内容会自动保存。"
            )
            return redirect("assessments:assessment_detail", pk=assessment.pk)
    context = {**_history_context(user, enterprise), "form": form}
    return render(request, "assessments/my_list.html", context, status=400)


@login_required
def enterprise_assessments(request: AuthenticatedHttpRequest, uscc: str) -> HttpResponse:
    user = request.user
    enterprise = enterprise_get_visible(user=user, uscc=uscc)
    if policy.has(user, policy.Ability.HAS_OWN_ENTERPRISE):
        return redirect("assessments:assessment_list")
    context = {
        **_history_context(user, enterprise),
        "onsite_form": OnsiteStartForm() if common.is_city_assessor(user, enterprise) else None,
    }
    return render(request, "assessments/enterprise_history.html", context)
