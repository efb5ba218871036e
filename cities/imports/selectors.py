"""Reads of import jobs, always scoped to the user: a job outside it does not exist (404)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from cities.models import ImportJob
from sme_pilot.errors import NotFound

from .service import importable_kinds


def import_kinds_for(*, user: object) -> tuple[str, ...]:
    """The kinds a signed-in user may import; empty means the import pages do not exist for them."""
    if not isinstance(user, User) or not user.is_authenticated:
        return ()
    return importable_kinds(user)


def import_job_list_visible_to(*, user: object) -> QuerySet[ImportJob]:
    return (
        ImportJob.objects.visible_to(user)
        .select_related("city", "requested_by")
        .order_by("-created_at", "-id")
    )


def import_job_get_visible(*, user: object, pk: int) -> ImportJob:
    try:
        return import_job_list_visible_to(user=user).get(pk=pk)
    except ImportJob.DoesNotExist:
        raise NotFound("没有找到该导入任务") from None
