"""Library pages (mounted at /providers/): city officials manage their city's 服务商库; assessors,
ministry staff and administrators read it; an enterprise sees the directory of its city's active
providers (read-only); a provider's own account keeps its contacts and products (我的服务商,
/providers/me/)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts import policy
from accounts.requests import AuthenticatedHttpRequest
from sme_pilot.errors import DomainError, Forbidden

from . import selectors, services
from .choices import LibraryStatus, ProviderCategory
from .forms import ContactForm, LibraryAddForm, ProductForm, StatusChangeForm

PAGE_SIZE = 20


def _is_directory(user: object) -> bool:
    """An enterprise reads the directory of active providers, not the managed library."""
    return policy.has(user, policy.Ability.HAS_OWN_ENTERPRISE)


@login_required
def library_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if _is_directory(user):
        # The directory an enterprise picks from lives with the projects (it shows stars and
        # firms served, which the projects know): /provider-directory/.
        return redirect("projects:directory")
    filters = selectors.LibraryFilters(
        status=request.GET.get("status", ""),
        category=request.GET.get("category", ""),
        q=request.GET.get("q", ""),
        city=request.GET.get("city", ""),
    ).cleaned()
    entries = selectors.filter_library(selectors.library_visible_to(user=user), filters)
    entries = entries.order_by("provider__name", "provider__uscc", "city__code")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "providers/library_list.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "statuses": LibraryStatus.choices,
            "categories": ProviderCategory.choices,
            "scene_names": selectors.scene_names(),
            "several_cities": policy.sees_everything(user),
            "may_manage": policy.has(user, policy.Ability.MANAGE_PROVIDER_LIBRARY),
        },
    )


@login_required
def entry_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    entry = selectors.entry_get_visible(user=user, pk=pk)
    directory = _is_directory(user)
    return render(
        request,
        "providers/entry_detail.html",
        {
            "entry": entry,
            "products": entry.provider.products.all(),
            "scene_names": selectors.scene_names(),
            # The status history is the city's own record, not the enterprises' directory.
            "history": None if directory else selectors.status_history(entry),
            "directory": directory,
            "may_manage": policy.has(user, policy.Ability.MANAGE_PROVIDER_LIBRARY),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    entry = selectors.entry_get_visible(user=user, pk=pk)
    if not policy.has(user, policy.Ability.MANAGE_PROVIDER_LIBRARY):
        raise Forbidden("只有本市管理员可以变更服务商状态")
    back = _back(request)
    form = StatusChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.library_change_status(
                actor=user,
                entry_id=entry.pk,
                to_status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            label = LibraryStatus(form.cleaned_data["status"]).label
            messages.success(request, f"已将“{entry.provider.name}”的状态变更为“{label}”。")
            if back:
                return redirect(back)
            return redirect("providers:entry_detail", pk=entry.pk)
    return render(
        request, "providers/entry_status.html", {"entry": entry, "form": form, "back": back}
    )


def _back(request: AuthenticatedHttpRequest) -> str:
    """Where a status change returns to when it came from elsewhere (the league table): a path
    of this site only, never another host."""
    target = request.GET.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def entry_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not policy.has(user, policy.Ability.MANAGE_PROVIDER_LIBRARY) or user.city is None:
        raise Http404
    form = LibraryAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new = services.NewProvider(
            name=data["name"],
            category=data["category"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            contact_email=data["contact_email"],
        )
        try:
            entry = services.library_add(
                actor=user, city=user.city, uscc=data["uscc"], new=new, reason=data["reason"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已将“{entry.provider.name}”加入本市服务商库。")
            return redirect("providers:entry_detail", pk=entry.pk)
    return render(request, "providers/entry_add.html", {"form": form})


# --- 我的服务商: the provider's own profile, contacts and products -----------------------------


def _product_data(form: ProductForm) -> services.ProductData:
    data = form.cleaned_data
    return services.ProductData(
        name=data["name"],
        scenes=list(data["scenes"]),
        price_min=data["price_min"],
        price_max=data["price_max"],
        description=data["description"],
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_provider(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The provider's profile, the cities whose library it is in (status and the latest reason),
    its products, and the form for its contacts."""
    user = request.user
    provider = selectors.own_provider(user=user)
    initial = {name: getattr(provider, name) for name in services.CONTACT_FIELDS}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.provider_update_contacts(actor=user, changes=form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "联系信息已保存。")
            return redirect("providers:my_provider")
    products = Paginator(selectors.own_products(provider), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "providers/my_provider.html",
        {
            "provider": provider,
            "entries": selectors.own_entries(provider),
            "changes": selectors.own_status_changes(provider),
            "page": products,
            "query": "",
            "scene_names": selectors.scene_names(),
            "form": form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_product_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    provider = selectors.own_provider(user=user)
    form = ProductForm(request.POST or None, scene_names=selectors.scene_names())
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_add(
                actor=user, provider_id=provider.pk, data=_product_data(form)
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已添加产品“{product.name}”。")
            return redirect("providers:my_provider")
    return render(request, "providers/my_product_form.html", {"form": form, "product": None})


@login_required
@require_http_methods(["GET", "POST"])
def my_product_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    product = selectors.own_product(user=user, pk=pk)
    initial = {
        "name": product.name,
        "scenes": product.scenes,
        "price_min": product.price_min,
        "price_max": product.price_max,
        "description": product.description,
    }
    form = ProductForm(request.POST or None, initial=initial, scene_names=selectors.scene_names())
    if request.method == "POST" and form.is_valid():
        try:
            services.product_edit(actor=user, product_id=product.pk, data=_product_data(form))
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已保存产品“{form.cleaned_data['name'].strip()}”。")
            return redirect("providers:my_provider")
    return render(request, "providers/my_product_form.html", {"form": form, "product": product})


@login_required
@require_http_methods(["GET", "POST"])
def my_product_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm; POST deletes."""
    user = request.user
    product = selectors.own_product(user=user, pk=pk)
    if request.method == "POST":
        services.product_delete(actor=user, product_id=product.pk)
        messages.success(request, f"已删除产品“{product.name}”。")
        return redirect("providers:my_provider")
    return render(
        request,
        "providers/my_product_delete.html",
        {"product": product, "scene_names": selectors.scene_names()},
    )
