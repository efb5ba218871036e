"""Reads of report jobs, scoped by the same selectors as the pages they report on.

A job is visible to whoever may currently see its subject: a city report to that city's
officials, the ministry and administrators; the national report to the ministry and
administrators; an assessment report to whoever sees the assessment; a 一企一档 dossier to whoever
sees its enterprise (never a provider). Out of scope is a 404.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from accounts.policy import sees_dashboards, sees_everything
from assessments.selectors import assessment_list_visible_to
from cities.selectors import city_list_visible_to, enterprise_list_visible_to
from sme_pilot.errors import NotFound

from .models import DEFAULT_NATIONAL_ISSUER, ReportJob, ReportKind, ReportSettings

RECENT_JOBS = 50


def report_job_list_visible_to(*, user: object) -> QuerySet[ReportJob]:
    # EXISTS, correlated on the job's assessment: an `assessment__in` subquery made PostgreSQL
    # hash every visible assessment (~50 ms at national scale) on each lookup, i.e. on every
    # one-second poll of a report's progress (bench/load.py).
    visible_assessment = assessment_list_visible_to(user=user).filter(pk=OuterRef("assessment_id"))
    scope = Q(kind=ReportKind.ASSESSMENT) & Q(Exists(visible_assessment))
    # A dossier: whoever sees its enterprise (as for an assessment, correlated EXISTS).
    visible_enterprise = enterprise_list_visible_to(user=user).filter(pk=OuterRef("enterprise_id"))
    scope |= Q(kind=ReportKind.DOSSIER) & Q(Exists(visible_enterprise))
    if sees_dashboards(user):
        scope |= Q(kind=ReportKind.CITY, city__in=city_list_visible_to(user=user))
    if sees_everything(user):
        scope |= Q(kind=ReportKind.NATIONAL)
    return ReportJob.objects.filter(scope).select_related(
        "city", "assessment__enterprise", "enterprise"
    )


def report_job_get_visible(*, user: object, pk: int) -> ReportJob:
    try:
        return report_job_list_visible_to(user=user).get(pk=pk)
    except ReportJob.DoesNotExist:
        raise NotFound("没有找到该报告") from None


def report_job_list_requested_by(*, user: object) -> QuerySet[ReportJob]:
    """Every job this user asked for and may still see (a shared job counts for each
    requester), newest first: 我的报告, unabridged (the API pages through it)."""
    if not isinstance(user, User) or not user.is_authenticated:
        return ReportJob.objects.none()
    return report_job_list_visible_to(user=user).filter(requesters=user)


def report_job_list_mine(*, user: object) -> QuerySet[ReportJob]:
    """The page's 我的报告: the RECENT_JOBS newest of `report_job_list_requested_by`."""
    return report_job_list_requested_by(user=user)[:RECENT_JOBS]


def national_issuer() -> str:
    """Who issues the national report: the settings row's, else the default."""
    issuer = ReportSettings.objects.filter(pk=1).values_list("national_issuer", flat=True).first()
    return (issuer or "").strip() or DEFAULT_NATIONAL_ISSUER
