"""服务商目录 (issue 14): an enterprise reads its city's active providers — category, products,
the scenes they cover, the firms each served in the city and its stars — filters them by scene
and category, and picks one from here when its project is at that step (the same
`select_provider` move as the move page, posted to it)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts import policy
from accounts.requests import AuthenticatedHttpRequest
from cities.models import Enterprise
from providers.choices import ProviderCategory
from providers.models import LibraryEntry
from providers.selectors import scene_names
from sme_pilot.errors import NotFound

from . import provider_rules, rules
from .selectors import directory, projects
from .selectors.samples import samples_visible_to
from .services import pipeline

PAGE_SIZE = 20


def _row(entry: LibraryEntry, evaluation: provider_rules.Evaluation | None) -> dict[str, Any]:
    return {
        "entry": entry,
        "served": evaluation.projects if evaluation else 0,
        "stars": evaluation.stars if evaluation else None,
    }


@login_required
def provider_directory(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    scope = policy.scope_of(user)
    if not policy.has(user, policy.Ability.HAS_OWN_ENTERPRISE) or scope.enterprise_id is None:
        raise NotFound("页面不存在")
    enterprise = Enterprise.objects.select_related("city").filter(pk=scope.enterprise_id).first()
    if enterprise is None:
        raise NotFound("页面不存在")
    city_id = enterprise.city_id
    scenes = scene_names()
    filters = directory.DirectoryFilters(
        scene=request.GET.get("scene", ""),
        category=request.GET.get("category", ""),
        q=request.GET.get("q", ""),
    ).cleaned(scenes)
    entries = directory.directory_entries(city_id=city_id, filters=filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rated = directory.ratings(city=enterprise.city, as_of=timezone.localdate())
    project = projects.own_project(user=user)
    may_pick = (
        project is not None and pipeline.refusal(user, project, rules.Move.SELECT_PROVIDER) is None
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/directory.html",
        {
            "page": page,
            "rows": [_row(e, rated.get(e.provider.pk)) for e in page],
            "filters": filters,
            "query": query.urlencode(),
            "categories": ProviderCategory.choices,
            "scene_names": scenes,
            "project": project if may_pick else None,
            "samples": samples_visible_to(user)
            .filter(marked_at__date__lte=timezone.localdate())
            .count(),
        },
    )
