"""The funds ledger pages (资金台账), mounted at /funds/.

A city official keeps the own city's ledger: books receipts and expenses, reverses an entry
with a reason, sets the plan. Province officials, ministry staff and administrators read the
ledger of any city in their scope (/funds/<code>/); the others do not see it (404). Acting on a
ledger one only reads is a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import policy
from accounts.requests import AuthenticatedHttpRequest
from cities.models import PilotCity
from sme_pilot.errors import DomainError, Forbidden, NotFound
from sme_pilot.inputs import AsOfError, parse_as_of

from . import selectors, services
from .choices import PlanLine, Source
from .forms import EntryForm, PlanForm, ReverseForm, plan_field_name
from .models import LedgerEntry

PAGE_SIZE = 30


@login_required
def funds_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A city official's own ledger; for province, ministry and administrators, the cities in
    scope with their figures, each linking to its ledger."""
    user = request.user
    if not policy.sees_dashboards(user):
        raise NotFound("页面不存在")
    own = policy.scope_of(user).city_id
    cities = list(selectors.funds_city_list_visible_to(user=user).order_by("code"))
    if own is not None and len(cities) == 1:
        return redirect("funds:ledger", code=cities[0].code)
    try:
        as_of = parse_as_of(request.GET.get("as_of"))
    except AsOfError:
        as_of = parse_as_of(None)
    figures = selectors.cities_figures(cities=cities, as_of=as_of)
    return render(request, "funds/city_list.html", {"figures": figures, "as_of": as_of})


def _keeper(request: AuthenticatedHttpRequest, city: PilotCity) -> None:
    if policy.funds_city_id(request.user) != city.pk:
        raise Forbidden("只有本市的城市官员可以记账")


def _ledger_context(
    request: AuthenticatedHttpRequest, city: PilotCity, **forms: object
) -> dict[str, object]:
    try:
        as_of = parse_as_of(request.GET.get("as_of"))
    except AsOfError as exc:
        messages.error(request, str(exc))
        as_of = parse_as_of(None)
    figures = selectors.city_figures(city=city, as_of=as_of, with_plan=True)
    page = Paginator(selectors.ledger_of(city=city), PAGE_SIZE).get_page(request.GET.get("page"))
    keeps = policy.funds_city_id(request.user) == city.pk
    context: dict[str, object] = {
        "city": city,
        "as_of": as_of,
        "figures": figures,
        "plan_rows": figures.plan_rows(),
        "page": page,
        "query": f"as_of={as_of.isoformat()}" if request.GET.get("as_of") else "",
        "keeps": keeps,
        "entry_form": EntryForm() if keeps else None,
    }
    context.update(forms)
    return context


@login_required
def ledger(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    city = selectors.funds_city_get_visible(user=request.user, code=code)
    return render(request, "funds/ledger.html", _ledger_context(request, city))


@login_required
@require_POST
def entry_book(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    city = selectors.funds_city_get_visible(user=request.user, code=code)
    _keeper(request, city)
    form = EntryForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        data = services.EntryData(
            entry_on=d["entry_on"],
            kind=d["kind"],
            source=d["source"],
            category=d["category"],
            amount=d["amount"],
            reference=d["reference"],
            note=d["note"],
        )
        try:
            entry = services.book_entry(actor=request.user, city=city, data=data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已入账：凭证号“{entry.reference}”。")
            return redirect("funds:ledger", code=city.code)
    context = _ledger_context(request, city, entry_form=form)
    return render(request, "funds/ledger.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def entry_reverse(request: AuthenticatedHttpRequest, code: str, pk: int) -> HttpResponse:
    city = selectors.funds_city_get_visible(user=request.user, code=code)
    entry = get_object_or_404(LedgerEntry.objects.select_related("reverses"), pk=pk, city=city)
    _keeper(request, city)
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            reversal = services.reverse_entry(
                actor=request.user,
                entry=entry,
                entry_on=d["entry_on"],
                reference=d["reference"],
                reason=d["reason"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, f"已冲正凭证号“{entry.reference}”（冲正凭证号“{reversal.reference}”）。"
            )
            return redirect("funds:ledger", code=city.code)
    return render(request, "funds/entry_reverse.html", {"city": city, "entry": entry, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    city = selectors.funds_city_get_visible(user=request.user, code=code)
    _keeper(request, city)
    current = selectors.city_figures(city=city, as_of=parse_as_of(None), with_plan=True).plan
    initial = {plan_field_name(s, line): amount for (s, line), amount in current.items()}
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_set(actor=request.user, city=city, amounts=form.amounts())
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存资金使用计划。")
            return redirect("funds:ledger", code=city.code)
    rows = [
        {
            "source": source.label,
            "fields": [form[plan_field_name(source, line)] for line in PlanLine],
        }
        for source in Source
    ]
    return render(
        request,
        "funds/plan_edit.html",
        {"city": city, "form": form, "rows": rows, "lines": PlanLine.labels},
    )
