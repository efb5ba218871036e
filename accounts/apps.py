"""The accounts app, and django-axes' configuration: login lockout belongs with the accounts."""

from __future__ import annotations

import datetime as dt

from axes.apps import AppConfig as BaseAxesConfig
from django.apps import AppConfig
from django.utils import timezone


class AccountsConfig(AppConfig):
    default = True  # the app's configuration; AxesConfig below is django-axes'
    name = "accounts"
    verbose_name = "账号与角色"


def _when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


class AxesConfig(BaseAxesConfig):
    """django-axes (login lockout) in Chinese in the admin: its app name here, its models' and
    fields' names in locale/ (it ships no zh_Hans catalogue), and its objects' names (English
    f-strings in axes.models) replaced below; its admin pages are accounts/admin.py's."""

    default = False  # named in INSTALLED_APPS as accounts.apps.AxesConfig
    verbose_name = "登录防护"

    def ready(self) -> None:
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        def attempt_str(self: AccessAttempt) -> str:
            return f"{self.username or '（无用户名）'} 的登录失败计数（{_when(self.attempt_time)}）"

        def log_str(self: AccessLog) -> str:
            return f"{self.username or '（无用户名）'} 的登录（{_when(self.attempt_time)}）"

        def failure_str(self: AccessFailureLog) -> str:
            locked = "，已锁定" if self.locked_out else ""
            return (
                f"{self.username or '（无用户名）'} 登录失败（{_when(self.attempt_time)}，"
                f"来自 {self.ip_address or '未知地址'}{locked}）"
            )

        AccessAttempt.__str__ = attempt_str  # type: ignore[method-assign,assignment]
        AccessLog.__str__ = log_str  # type: ignore[method-assign,assignment]
        AccessFailureLog.__str__ = failure_str  # type: ignore[method-assign,assignment]
