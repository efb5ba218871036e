"""服务商目录 (issue 14): an enterprise reads its city's active providers — category, products,
the scenes they cover, the firms each served in the city and its stars — filters them by scene
and category, and picks one from here when its project is at that step (the same
`select_provider` move as the move page, posted to it)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts import policy
from accounts.requests import AuthenticatedHttpRequest
from cities.models import Enterprise
from providers.choices import ProviderCategory
from providers.selectors import scene_names
from sme_pilot.errors import NotFound

from . import rules
from .selectors import directory, projects
from .services import pipeline

PAGE_SIZE = 20


@login_required
def provider_directory(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    scope = policy.scope_of(user)
    if not policy.has(user, policy.Ability.HAS_OWN_ENTERPRISE) or scope.enterprise_id is None:
        raise NotFound("页面不存在")
    city_id = (
        Enterprise.objects.filter(pk=scope.enterprise_id).values_list("city_id", flat=True).first()
    )
    if city_id is None:
        raise NotFound("页面不存在")
    scenes = scene_names()
    filters = directory.DirectoryFilters(
        scene=request.GET.get("scene", ""),
        category=request.GET.get("category", ""),
        q=request.GET.get("q", ""),
    ).cleaned(scenes)
    entries = directory.directory_entries(city_id=city_id, filters=filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    provider_ids = [e.provider.pk for e in page]
    served = directory.firms_served(
        city_id=city_id, provider_ids=provider_ids, as_of=timezone.localdate()
    )
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
            "rows": [{"entry": e, "served": served.get(e.provider.pk, 0)} for e in page],
            "filters": filters,
            "query": query.urlencode(),
            "categories": ProviderCategory.choices,
            "scene_names": scenes,
            "project": project if may_pick else None,
        },
    )
