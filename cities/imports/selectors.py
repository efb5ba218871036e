"""Reads of import jobs, always scoped to the user: a job outside it does not exist (404)."""

from __future__ import annotations

from typing import Final

from django.core.cache import cache
from django.db.models import QuerySet

from accounts import policy
from accounts.models import User
from cities.models import ImportJob, ImportJobState, SubIndustry
from sme_pilot.errors import NotFound

from . import registry
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


# How long a running step's last progress report is kept: longer than a step may run.
LIVE_PROGRESS_SECONDS: Final = 3600
_RUNNING: Final = (ImportJobState.VALIDATING, ImportJobState.IMPORTING)


def live_progress_key(job_id: int) -> str:
    return f"import-progress:{job_id}"


def with_live_progress(job: ImportJob) -> ImportJob:
    """The job, with the progress its running step last reported (`jobs._progress`): a step
    inside its transaction cannot show it on the job's row until it commits."""
    if job.state in _RUNNING:
        live = cache.get(live_progress_key(job.pk))
        if live is not None:
            job.progress_percent, job.progress_message = live
    return job


def import_job_get_visible(*, user: object, pk: int) -> ImportJob:
    """The job (with its live progress), or NotFound when it is outside the user's scope."""
    try:
        job = import_job_list_visible_to(user=user).get(pk=pk)
    except ImportJob.DoesNotExist:
        raise NotFound("没有找到该导入任务") from None
    return with_live_progress(job)


def import_template_examples(*, user: User, kind: str) -> dict[str, str]:
    """Example values of `kind`'s template that fit `user`: a city official's own city code and,
    for enterprises, one of that city's sub-industries, so the example row reads like theirs."""
    spec = registry.spec(kind)
    names = {column.name for column in spec.columns}
    city = user.city if policy.scope_of(user).reach is policy.Reach.CITY else None
    if city is None or "city_code" not in names:
        return {}
    examples = {"city_code": city.code}
    if "sub_industry_code" in names:
        first = SubIndustry.objects.filter(city=city).order_by("code").values_list("code").first()
        if first is not None:
            examples["sub_industry_code"] = first[0]
    return examples
