"""服务商评价: the provider league table of a city (domain §4.5), at /providers/league/.

Whoever sees the city's dashboards reads it (`policy.sees_provider_league`); the city's own
officials also warn, suspend, remove or re-activate a provider from it, through the library's
status page and service (providers.services.library_change_status: a reason is required). Every
number links to the project list filtered to the projects behind it, as of the same day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accounts import policy
from accounts.requests import AuthenticatedHttpRequest
from cities import selectors as city_selectors
from providers.selectors import own_entries, own_provider
from sme_pilot.errors import NotFound
from sme_pilot.inputs import AsOfError, parse_as_of

from .selectors.projects import ProjectFilters
from .selectors.provider_scores import ProviderRow, provider_evaluations, scoring_for

PAGE_SIZE = 20


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{(value * 100).quantize(Decimal('0.1'))}%"


def _number(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.quantize(Decimal('0.01'))}"


@dataclass(frozen=True)
class LeagueRow:
    row: ProviderRow
    links: dict[str, str]
    acceptance_rate: str
    mean_uplift: str
    mean_satisfaction: str
    on_time_rate: str


def league_row(row: ProviderRow, base: ProjectFilters) -> LeagueRow:
    project_list = reverse("projects:project_list")
    of_provider = replace(base, provider=row.entry.provider.pk)

    def link(*, reached: str = "", outcome: str = "") -> str:
        filters = replace(of_provider, reached=reached, outcome=outcome)
        return f"{project_list}?{filters.urlencode()}"

    e = row.evaluation
    return LeagueRow(
        row=row,
        links={
            "projects": link(reached="provider_selected"),
            "accepted": link(reached="accepted"),
            "failed": link(outcome="failed_not_accepted"),
            "decided": link(outcome="acceptance_decided"),
            "completed": link(reached="completed"),
            "on_time": link(outcome="on_time"),
        },
        acceptance_rate=_percent(e.acceptance_rate),
        mean_uplift=_number(e.mean_uplift),
        mean_satisfaction=_number(e.mean_satisfaction),
        on_time_rate=_percent(e.on_time_rate),
    )


@login_required
def provider_league(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not policy.sees_provider_league(user):
        raise NotFound("页面不存在")
    cities = list(city_selectors.city_list_visible_to(user=user).order_by("code"))
    code = request.GET.get("city", "").strip()[:20]
    city = next((c for c in cities if c.code == code), None) if code else None
    if code and city is None:
        raise NotFound("没有找到该试点城市")
    if city is None:
        if not cities:
            raise NotFound("没有找到该试点城市")
        city = cities[0]
    context: dict[str, object] = {
        "city": city,
        "cities": cities if len(cities) > 1 else [],
        "as_of_text": request.GET.get("as_of", ""),
    }
    try:
        as_of = parse_as_of(request.GET.get("as_of"))
    except AsOfError as exc:
        context["error"] = str(exc)
        return render(request, "projects/provider_league.html", context, status=400)
    scoring = scoring_for(as_of)
    rows = provider_evaluations(city=city, as_of=as_of, scoring=scoring)
    # Rated providers first, best first; the unrated after them; ties by USCC.
    rows.sort(key=lambda r: (not r.evaluation.rated, -r.evaluation.score, r.entry.provider.uscc))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    base = ProjectFilters(city=city.pk, as_of=as_of)
    league_url = reverse("projects:provider_league")
    here = {"city": city.code, "as_of": as_of.isoformat()}
    if page.number > 1:
        here["page"] = str(page.number)
    context.update(
        {
            "as_of": as_of,
            "scoring": scoring,
            "page": page,
            "rows": [league_row(r, base) for r in page],
            "query": urlencode({"city": city.code, "as_of": as_of.isoformat()}),
            "may_manage": policy.manages_provider_library_of(user, city.pk),
            "back": urlencode({"next": f"{league_url}?{urlencode(here)}"}),
        }
    )
    return render(request, "projects/provider_league.html", context)


@login_required
def provider_workspace(request: AuthenticatedHttpRequest) -> HttpResponse:
    """服务商工作台: the provider's own evaluation in every city whose library it is in (as the
    city's league table shows it, with the same links to its projects), its status there with
    the latest reason, and the way to its projects, 待办 and products."""
    user = request.user
    if not policy.has(user, policy.Ability.HAS_OWN_PROVIDER):
        raise NotFound("页面不存在")
    provider = own_provider(user=user)
    as_of = timezone.localdate()
    scoring = scoring_for(as_of)
    cities = []
    for entry in own_entries(provider):
        mine = next(
            r
            for r in provider_evaluations(city=entry.city, as_of=as_of, scoring=scoring)
            if r.entry.pk == entry.pk
        )
        cities.append(
            {"entry": entry, "league": league_row(mine, ProjectFilters(city=entry.city_id))}
        )
    return render(
        request,
        "projects/provider_workspace.html",
        {"provider": provider, "cities": cities, "as_of": as_of, "scoring": scoring},
    )
