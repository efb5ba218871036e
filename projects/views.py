"""Project pages. The subsidy policy (奖补政策) of a city: its rules in words, each with a worked
example, for whoever sees the city's dashboards; out of scope is 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from accounts.requests import AuthenticatedHttpRequest
from cities.imports.service import importable_kinds

from . import rules
from .imports import SUBSIDY_RULES
from .selectors import subsidy_rules as selectors


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
