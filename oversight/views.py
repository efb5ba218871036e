"""Oversight pages: one city's "应改尽改" status, the national table, the roster by level and
the rule, and the roster export.

Dashboards: city officials see their own city; ministry and administrators every city,
read-only; everyone else gets 404, exactly as if the page did not exist. The dashboards and the
export only read: with a replica configured they may read it (`sme_pilot.db.replica_reads`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts import policy
from accounts.requests import AuthenticatedHttpRequest
from assessments.selectors import with_current_level
from cities import selectors
from cities.models import PilotBatch, Province, QualityTier, Region, SizeClass
from sme_pilot import xlsx
from sme_pilot.db import replica_reads
from sme_pilot.downloads import temporary_file_response
from sme_pilot.inputs import AsOfError, parse_as_of, parse_id_or_none

from . import exports
from .selectors import dashboard as selectors_dashboard
from .selectors import roster as roster_selectors
from .selectors.compliance import rule_for

CLOSEST_PAGE_SIZE = 20
ROSTER_PAGE_SIZE = 50


def _require_dashboards(request: AuthenticatedHttpRequest) -> None:
    if not policy.sees_dashboards(request.user):
        raise Http404


@login_required
@replica_reads()
def city_dashboard(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    _require_dashboards(request)
    city = selectors.city_get_visible(user=request.user, code=code)
    try:
        as_of = parse_as_of(request.GET.get("as_of"))
    except AsOfError as exc:
        context = {"city": city, "error": str(exc), "as_of_text": request.GET.get("as_of", "")}
        return render(request, "oversight/dashboard_city.html", context, status=400)
    dash = selectors_dashboard.city_dashboard_cached(city=city, as_of=as_of)
    funnel = selectors_dashboard.city_project_funnel_cached(city=city, as_of=as_of)
    funds = selectors_dashboard.city_funds_section_cached(city=city, as_of=as_of)
    closest = Paginator(dash.closest, CLOSEST_PAGE_SIZE).get_page(request.GET.get("closest_page"))
    query = request.GET.copy()
    query.pop("closest_page", None)
    return render(
        request,
        "oversight/dashboard_city.html",
        {
            "city": city,
            "dash": dash,
            "funnel": funnel,
            "funds": funds,
            "result": dash.compliance,
            "closest_page": closest,
            "query": query.urlencode(),
            "is_today": as_of == timezone.localdate(),
            "charts": {
                "distribution": dash.distribution,
                "trend": dash.trend,
                "funnel": funnel.chart,
                "funds": funds.chart,
            },
        },
    )


@login_required
@replica_reads()
def national_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not policy.compares_cities(request.user):
        raise Http404
    try:
        as_of = parse_as_of(request.GET.get("as_of"))
    except AsOfError as exc:
        context = {"error": str(exc), "as_of_text": request.GET.get("as_of", "")}
        return render(request, "oversight/dashboard_national.html", context, status=400)
    filters = {k: request.GET.get(k, "").strip() for k in ("batch", "region", "province")}
    cities = selectors.city_list_visible_to(user=request.user)
    batch_year = parse_id_or_none(filters["batch"]) if filters["batch"] else None
    if batch_year is not None and batch_year <= 9999:
        cities = cities.filter(batch__year=batch_year)
    if filters["region"]:
        cities = cities.filter(province__region=filters["region"])
    if filters["province"]:
        cities = cities.filter(province__code=filters["province"])
    sort = request.GET.get("sort", "city")
    dash = selectors_dashboard.national_dashboard(
        cities=cities,
        as_of=as_of,
        sort=sort,
        with_funnel=True,
        with_funds=True,
        with_scores=True,
    )
    base = {k: v for k, v in filters.items() if v}
    if request.GET.get("as_of"):
        base["as_of"] = as_of.isoformat()
    sort_links = {}
    for column in selectors_dashboard.SORT_COLUMNS:
        direction = f"-{column}" if sort == column else column
        sort_links[column] = "?" + urlencode({**base, "sort": direction})
    return render(
        request,
        "oversight/dashboard_national.html",
        {
            "dash": dash,
            # The table's 100 rows are most of a cached page's time (≈ 3,000 template nodes,
            # 900 URL reversals): their HTML is cached under a digest of what they show.
            "rows_key": selectors_dashboard.rows_digest(dash),
            "filters": filters,
            "sort": sort,
            "sort_links": sort_links,
            "funnel_columns": [
                (key, label, sort_links[key]) for key, _, label in selectors_dashboard.TOTAL_STAGES
            ],
            # The totals are every city in scope only when nothing narrows the table: only then
            # is the project list (the caller's scope) the projects behind them.
            "totals_link": not base.keys() - {"as_of"},
            "batches": PilotBatch.objects.order_by("year"),
            "regions": Region.choices,
            "provinces": Province.objects.order_by("code"),
            "charts": {"by_region": dash.by_region},
        },
    )


@login_required
def roster(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = request.user
    city = selectors.city_get_visible(user=user, code=code)
    filters = roster_selectors.RosterFilters(
        sub_industry=request.GET.get("sub_industry", ""),
        district=request.GET.get("district", ""),
        scope=request.GET.get("scope", ""),
        tier=request.GET.get("tier", ""),
        size=request.GET.get("size", ""),
        q=request.GET.get("q", ""),
        counted=request.GET.get("counted", ""),
        level=request.GET.get("level", ""),
    )
    enterprises = with_current_level(
        roster_selectors.roster_for_city(user=user, city=city, filters=filters)
    )
    page = Paginator(enterprises, ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "oversight/roster.html",
        {
            "city": city,
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "sub_industries": city.sub_industries.order_by("code"),
            "districts": selectors.district_list_visible_to(user=user, city=city),
            "tiers": QualityTier.choices,
            "sizes": SizeClass.choices,
        },
    )


@login_required
@replica_reads()
def roster_export(request: AuthenticatedHttpRequest, code: str) -> FileResponse:
    _require_dashboards(request)
    city = selectors.city_get_visible(user=request.user, code=code)
    filters = roster_selectors.RosterFilters(
        **{k: request.GET.get(k, "") for k in roster_selectors.RosterFilters.__dataclass_fields__}
    )
    enterprises = with_current_level(
        roster_selectors.roster_for_city(user=request.user, city=city, filters=filters)
    ).select_related("city", "sub_industry", "district")
    rule = rule_for(city.batch)
    filename = f"{city.name}企业名录_{timezone.localdate().isoformat()}.xlsx"
    return temporary_file_response(
        lambda out: exports.roster_xlsx(out, enterprises, rule=rule),
        name=filename,
        content_type=xlsx.CONTENT_TYPE,
    )
