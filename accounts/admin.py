"""The admin of accounts: the ones only administrators create (ministry, city officials), and
every account's role and scope, with its history."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    SetUnusablePasswordMixin,
    UserChangeForm,
)
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import User

SCOPE_FIELDS = ("role", "city", "enterprise", "district", "provider", "province")
ACCOUNT_FIELDS = (*SCOPE_FIELDS, "display_name", "phone", "must_change_password")


class AccountCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", *ACCOUNT_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Whoever sets a password for someone else makes them replace it at first login.
        self.fields["must_change_password"].initial = True


class AccountChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class AccountPasswordChangeForm(AdminPasswordChangeForm):
    # Django appends this warning to the (translated) help text in English, out of gettext's reach.
    usable_password_help_text = format_lazy(  # type: ignore[assignment]
        "{}{}",
        SetUnusablePasswordMixin.usable_password_help_text,
        mark_safe(
            '<ul id="id_unusable_warning" class="messagelist"><li class="warning">'
            "停用后，该用户当前的密码将失效。</li></ul>"
        ),
    )


@admin.register(User)
class AccountAdmin(SimpleHistoryAdmin, UserAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    change_password_form = AccountPasswordChangeForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("角色与范围", {"fields": (*SCOPE_FIELDS, "must_change_password")}),
        ("个人信息", {"fields": ("display_name", "phone", "email")}),
        (
            "权限",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("重要日期", {"fields": ("last_login", "date_joined", "created_by")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2"),
            },
        ),
        (
            "角色与范围",
            {
                "description": (
                    "部委用户和系统管理员不绑定城市或企业；"
                    "城市管理员和现场评定员须选择城市；企业用户须选择企业；"
                    "区县管理员须选择城市和该市的区县；服务商用户须选择服务商；"
                    "省级管理员须选择省份。"
                ),
                "fields": ACCOUNT_FIELDS,
            },
        ),
    )
    readonly_fields = ("created_by", "last_login", "date_joined")
    list_display = (
        "username",
        "display_name",
        "role",
        "city",
        "enterprise",
        "is_active",
        "must_change_password",
        "last_login",
    )
    list_filter = ("role", "is_active", "must_change_password", "is_staff", "city__batch")
    search_fields = ("username", "display_name", "email", "enterprise__name", "enterprise__uscc")
    list_select_related = ("city", "enterprise")
    autocomplete_fields = ("city", "enterprise", "district", "provider", "province")

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        assert isinstance(obj, User)
        if not change and isinstance(request.user, User):
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.account_sessions_end(user=obj)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """An administrator setting someone else's password makes it an initial password."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and isinstance(response, HttpResponseRedirect):
            user = self.get_object(request, unquote(id))
            if user is not None and user.pk != request.user.pk and not user.must_change_password:
                user.must_change_password = True
                user._change_reason = "管理员重置密码"  # type: ignore[attr-defined]
                user.save(update_fields=["must_change_password"])
        return response


# --- django-axes' pages (login lockout), in Chinese ----------------------------------------------
# axes.admin registers them with an English status column, expiry column and cleanup message;
# the rest of their text is translated in locale/.


class LoginFailureCountAdmin(AccessAttemptAdmin):
    @admin.display(description="状态")
    def status(self, obj: AccessAttempt) -> str:
        limit = axes_settings.AXES_FAILURE_LIMIT
        left = limit - obj.failures_since_start if isinstance(limit, int) else None
        if left is None:
            return "—"
        return f"还可尝试 {left} 次" if left > 0 else "已锁定"

    @admin.display(description="过期时间")
    def expiration(self, obj: AccessAttempt) -> Any:
        return obj.expiration.expires_at if hasattr(obj, "expiration") else "未设置"

    @admin.action(description="清理已过期的登录失败计数")
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: Any) -> None:
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(request, f"已清理 {count} 条过期的登录失败计数。")


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, LoginFailureCountAdmin)
