"""Account management pages for city officials; every other role gets 404.

Initial passwords appear once, in the response to the POST that set them, never in a URL,
a message or a page that can be reloaded by GET.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts import policy
from accounts.models import Role
from accounts.requests import AuthenticatedHttpRequest
from sme_pilot.downloads import attachment_response
from sme_pilot.errors import NotFound
from sme_pilot.observability import security_event

from .. import services
from ..selectors import accounts as selectors
from ..services.accounts import PROVISIONABLE_ROLES

PAGE_SIZE = 50
# The enterprise picker's search text: a name fragment or a USCC (18 characters) fits.
ENTERPRISE_SEARCH_MAX_LENGTH = 40
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

View = Callable[..., HttpResponse]


def official_only(view: View) -> View:
    """Logged-in city officials only; anyone else is told the page does not exist."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not selectors.can_manage_accounts(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@official_only
def account_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = selectors.AccountFilters(
        q=request.GET.get("q", ""),
        role=request.GET.get("role", ""),
        active=request.GET.get("active", ""),
    )
    accounts = selectors.account_list_filtered(user=request.user, filters=filters)
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cities/accounts/list.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "roles": [(r.value, r.label) for r in PROVISIONABLE_ROLES],
        },
    )


class AccountCreateForm(forms.Form):
    role = forms.CharField(
        label="角色",
        max_length=20,
        initial=Role.ENTERPRISE,
        widget=forms.RadioSelect(choices=[(r.value, r.label) for r in PROVISIONABLE_ROLES]),
    )
    # A plain text field (the USCC), filled by the search box's picker or typed (no JavaScript):
    # the view resolves it inside the official's roster.
    enterprise = forms.CharField(
        label="所属企业的统一社会信用代码（企业用户）",
        required=False,
        max_length=40,
        help_text="可在上方按企业名称或信用代码搜索后点选，也可直接填写 18 位统一社会信用代码。",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    username = forms.CharField(
        label="用户名",
        required=False,
        max_length=150,
        help_text="企业用户可留空，默认使用统一社会信用代码；其他角色必填。",
    )

    def __init__(
        self,
        *args: object,
        districts: list[tuple[int, str]],
        providers: list[tuple[int, str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        district_field = self.fields["district"]
        provider_field = self.fields["provider"]
        assert isinstance(district_field, forms.TypedChoiceField)
        assert isinstance(provider_field, forms.TypedChoiceField)
        district_field.choices = [("", "—"), *districts]
        provider_field.choices = [("", "—"), *providers]

    district = forms.TypedChoiceField(
        label="所属区县（区县管理员）",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="区县管理员只能查看本区县的企业。",
    )
    provider = forms.TypedChoiceField(
        label="所属服务商（服务商用户）",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="一家服务商可以有多个账号，也可以由多个城市分别开通。",
    )
    display_name = forms.CharField(label="姓名", required=False, max_length=50)
    phone = forms.CharField(
        label="手机号",
        required=False,
        max_length=30,
        help_text="选填：11 位中国大陆手机号",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )


@never_cache
@official_only
@require_http_methods(["GET", "POST"])
def account_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    actor = request.user
    choices = {
        "districts": [
            (d.pk, f"{d.name}（{d.code}）")
            for d in selectors.district_list_for_accounts(user=actor)
        ],
        "providers": selectors.provider_choices_for_accounts(user=actor),
    }
    if request.method == "POST":
        form = AccountCreateForm(request.POST, **choices)
        if form.is_valid():
            data = form.cleaned_data
            enterprise = None
            district = None
            binding = policy.account_binding(data["role"])
            if binding == "district" and data["district"] is not None:
                district = selectors.district_get_for_account(user=actor, pk=data["district"])
            if binding == "enterprise" and data["enterprise"]:
                try:
                    enterprise = selectors.enterprise_get_for_account(
                        user=actor, uscc=data["enterprise"]
                    )
                except NotFound:
                    # Typed by hand: the same words for a typo and another city's enterprise.
                    form.add_error(
                        "enterprise",
                        "所属企业：本市企业名录中没有该统一社会信用代码，请核对或用上方搜索选择企业",
                    )
            if form.is_valid():
                try:
                    account, password = services.account_create(
                        actor=actor,
                        role=data["role"],
                        enterprise=enterprise,
                        district=district,
                        provider_id=data["provider"] if binding == "provider" else None,
                        username=data["username"],
                        display_name=data["display_name"],
                        phone=data["phone"],
                    )
                except ValidationError as exc:
                    _add_service_errors(form, exc)
                else:
                    return render(
                        request,
                        "cities/accounts/password_shown.html",
                        {"account": account, "password": password, "action": "开通"},
                    )
    else:
        form = AccountCreateForm(
            initial={"enterprise": request.GET.get("enterprise", "")[:40]}, **choices
        )
    return render(
        request,
        "cities/accounts/create.html",
        {"form": form, "search_max_length": ENTERPRISE_SEARCH_MAX_LENGTH},
    )


@official_only
@require_GET
def account_enterprise_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The picker's htmx fragment: the official's own roster enterprises matching `q`."""
    q = request.GET.get("q", "").strip()
    if len(q) > ENTERPRISE_SEARCH_MAX_LENGTH:
        context = {"error": f"搜索企业：最多 {ENTERPRISE_SEARCH_MAX_LENGTH} 个字符"}
        return render(request, "cities/accounts/_enterprise_results.html", context, status=400)
    matches, more = selectors.enterprise_search_for_accounts(user=request.user, q=q)
    return render(
        request,
        "cities/accounts/_enterprise_results.html",
        {"q": q, "matches": matches, "more": more, "limit": selectors.ENTERPRISE_SEARCH_LIMIT},
    )


@never_cache
@official_only
@require_http_methods(["GET", "POST"])
def account_reset_password(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_get_manageable(user=request.user, pk=pk)
    context = {
        "account": account,
        "title": "重置密码",
        "question": "确定为该账号重置密码吗？原密码将立即失效，新的初始密码只显示一次。",
        "button": "确认重置",
        "danger": True,
    }
    if request.method == "POST":
        try:
            password = services.account_reset_password(actor=request.user, user=account)
        except ValidationError as exc:
            # Someone has just reset it: their password is the one that works.
            context["error"] = " ".join(exc.messages)
            return render(request, "cities/accounts/confirm.html", context, status=409)
        return render(
            request,
            "cities/accounts/password_shown.html",
            {"account": account, "password": password, "action": "重置"},
        )
    return render(request, "cities/accounts/confirm.html", context)


def _set_active(request: AuthenticatedHttpRequest, pk: int, *, active: bool) -> HttpResponse:
    account = selectors.account_get_manageable(user=request.user, pk=pk)
    if request.method == "POST":
        services.account_set_active(actor=request.user, user=account, active=active)
        if active:
            messages.success(request, f"账号“{account.username}”已启用。")
        else:
            messages.success(request, f"账号“{account.username}”已停用，该账号无法再登录。")
        return redirect("cities:account_list")
    if active:
        context = {
            "title": "启用账号",
            "question": "确定重新启用该账号吗？启用后可用原密码登录。",
            "button": "确认启用",
            "danger": False,
        }
    else:
        context = {
            "title": "停用账号",
            "question": "确定停用该账号吗？停用后该账号立即无法登录，之后可重新启用。",
            "button": "确认停用",
            "danger": True,
        }
    return render(request, "cities/accounts/confirm.html", {"account": account, **context})


@official_only
@require_http_methods(["GET", "POST"])
def account_deactivate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, active=False)


@official_only
@require_http_methods(["GET", "POST"])
def account_reactivate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, active=True)


@official_only
@require_http_methods(["GET", "POST"])
def account_bulk_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    actor = request.user
    if request.method == "POST":
        created = services.accounts_create_for_roster(actor=actor)
        if not created:
            messages.info(request, "本市名录中的企业都已开通账号，没有需要批量开通的企业。")
            return redirect("cities:account_list")
        content = services.credential_sheet_xlsx(created)
        token = services.credential_sheet_store(user=actor, content=content, count=len(created))
        return redirect("cities:account_bulk_result", token=token)
    pending = selectors.enterprise_list_without_account(user=actor).count()
    return render(request, "cities/accounts/bulk.html", {"pending": pending})


@never_cache
@official_only
def account_bulk_result(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    count = services.credential_sheet_count(user=request.user, token=token)
    if count is None:
        return render(request, "cities/accounts/sheet_gone.html", status=410)
    return render(request, "cities/accounts/bulk_result.html", {"count": count, "token": token})


@never_cache
@official_only
def account_sheet_download(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    actor = request.user
    content = services.credential_sheet_pop(user=actor, token=token)
    if content is None:
        return render(request, "cities/accounts/sheet_gone.html", status=410)
    assert actor.city is not None
    security_event("credential_sheet_download", request=request, city=actor.city.code)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    filename = f"{actor.city.name}_账号初始密码_{stamp}.xlsx"
    return attachment_response(content, name=filename, content_type=XLSX_MIME)
