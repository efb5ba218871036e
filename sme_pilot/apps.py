"""The project's own app: wires logging signals (observability) once Django is set up, and
gives the models and permissions that Django and django-simple-history name in English (link
tables, "historical …", "Can add …") their Chinese names for the admin.

It runs in web processes and in Celery workers alike, so tasks pick up the request id too.
"""

from typing import Any

from django.apps import AppConfig, apps
from django.utils.text import format_lazy


class SmePilotConfig(AppConfig):
    name = "sme_pilot"
    verbose_name = "sme-pilot"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from celery.signals import before_task_publish, task_postrun, task_prerun
        from django.contrib.auth import signals as auth

        from . import checks  # noqa: F401  (registers the deploy checks)
        from . import observability as obs

        auth.user_logged_in.connect(obs.on_user_logged_in, dispatch_uid="obs-login")
        auth.user_logged_out.connect(obs.on_user_logged_out, dispatch_uid="obs-logout")
        auth.user_login_failed.connect(obs.on_user_login_failed, dispatch_uid="obs-login-failed")
        user_locked_out.connect(obs.on_user_locked_out, dispatch_uid="obs-lockout")
        before_task_publish.connect(obs.celery_publish_request_id, dispatch_uid="obs-publish")
        task_prerun.connect(obs.celery_task_prerun, dispatch_uid="obs-prerun")
        task_postrun.connect(obs.celery_task_postrun, dispatch_uid="obs-postrun")
        name_link_tables()
        name_historical_models()
        name_permissions()


def name_link_tables() -> None:
    """The tables Django makes for a many-to-many field (User.groups, ReportJob.requesters …)
    show on the admin's delete pages as "Reportjob-user relationship: ReportJob_requesters object
    (1)"; they become "报告任务与用户的关联：<job> — <user>". No schema change: names only."""
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.auto_created:
            continue
        links = [f for f in model._meta.fields if f.is_relation]
        if len(links) != 2:
            continue
        source, target = links
        name = format_lazy(
            "{}与{}的关联",
            source.related_model._meta.verbose_name,  # type: ignore[union-attr]
            target.related_model._meta.verbose_name,  # type: ignore[union-attr]
        )
        model._meta.verbose_name = name
        model._meta.verbose_name_plural = name
        model.__str__ = _link_str(source.name, target.name)  # type: ignore[method-assign]


def _link_str(source: str, target: str) -> Any:
    def link_str(self: Any) -> str:
        return f"{getattr(self, source)} — {getattr(self, target)}"

    return link_str


def name_historical_models() -> None:
    """django-simple-history names its models "historical 城市" (an English format string):
    "城市（历史记录）" instead. Only the name shown: the migrations keep the options they have."""
    for model in apps.get_models():
        original = getattr(model, "instance_type", None)
        if original is None or model.__name__ != f"Historical{original.__name__}":
            continue
        model._meta.verbose_name = format_lazy("{}（历史记录）", original._meta.verbose_name)
        model._meta.verbose_name_plural = format_lazy(
            "{}（历史记录）", original._meta.verbose_name_plural
        )


# The actions of Django's default permissions ("add_city" …), whose stored names are English.
PERMISSION_ACTIONS = {"add": "增加", "change": "修改", "delete": "删除", "view": "查看"}


def name_permissions() -> None:
    """A permission shows as "试点城市与企业名录 | 城市 | 可修改城市" in the admin's group and user
    pages, not as its stored English name ("Can change pilot city"); our own permissions, named
    in Chinese, keep their names."""
    from django.contrib.auth.models import Permission

    def permission_str(self: Permission) -> str:
        action, _, model_name = self.codename.partition("_")
        model = self.content_type.model_class()
        name: Any = self.name
        if action in PERMISSION_ACTIONS and model and model_name == model._meta.model_name:
            name = f"可{PERMISSION_ACTIONS[action]}{model._meta.verbose_name}"
        return f"{self.content_type} | {name}"

    Permission.__str__ = permission_str  # type: ignore[method-assign,assignment]
