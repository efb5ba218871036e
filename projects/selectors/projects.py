"""Projects and their documents (一企一档), each read starting from what the user may see.

Scope (accounts.policy.scope_of): the nation sees every project, a city reach its city's
enterprises' projects, an enterprise its own; anyone else nothing. Out of scope is answered as
absent (NotFound, 404).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.policy import Reach, Scope, scope_of
from sme_pilot.errors import NotFound
from sme_pilot.inputs import parse_id, parse_id_or_none

from .. import rules
from ..models import Project, ProjectDocument, SubsidyRule
from .after_levels import after_level, after_levels


def _scope_filter(scope: Scope) -> Q | None:
    """The projects a scope reaches, as a filter; None for nothing."""
    if scope.is_nation:
        return Q()
    if scope.reach is Reach.PROVINCE and scope.province_id is not None:
        return Q(enterprise__city__province_id=scope.province_id)
    if scope.reach is Reach.CITY and scope.city_id is not None:
        return Q(enterprise__city_id=scope.city_id)
    if scope.reach is Reach.DISTRICT and scope.district_id is not None:
        return Q(enterprise__district_id=scope.district_id)
    if scope.reach is Reach.PROVIDER and scope.provider_id is not None:
        # The projects where it is the chosen provider, never other enterprises'.
        return Q(provider_id=scope.provider_id)
    if scope.reach is Reach.ENTERPRISE and scope.enterprise_id is not None:
        return Q(enterprise_id=scope.enterprise_id)
    return None


def project_list_visible_to(*, user: object) -> QuerySet[Project]:
    qs = Project.objects.select_related(
        "enterprise", "enterprise__city", "enterprise__sub_industry", "provider"
    )
    condition = _scope_filter(scope_of(user))
    return qs.none() if condition is None else qs.filter(condition)


def project_get_visible(*, user: object, pk: int) -> Project:
    try:
        return project_list_visible_to(user=user).get(pk=pk)
    except Project.DoesNotExist:
        raise NotFound("没有找到该改造项目") from None


def own_project(*, user: object) -> Project | None:
    """The project of the user's own enterprise (我的改造项目), or None."""
    scope = scope_of(user)
    if scope.reach is not Reach.ENTERPRISE or scope.enterprise_id is None:
        return None
    return project_list_visible_to(user=user).filter(enterprise_id=scope.enterprise_id).first()


def documents_of(*, project: Project) -> QuerySet[ProjectDocument]:
    """The documents of a project the caller has already found visible."""
    return project.documents.select_related("uploaded_by").order_by("uploaded_at", "id")


def document_get_visible(*, user: object, project_id: int, pk: int) -> ProjectDocument:
    project = project_get_visible(user=user, pk=project_id)
    try:
        return documents_of(project=project).get(pk=pk)
    except ProjectDocument.DoesNotExist:
        raise NotFound("没有找到该项目材料") from None


# --- filters of the project list ------------------------------------------------------------


def at_stage(stage: rules.Stage) -> Q:
    """Projects whose furthest stage is `stage` (its date set, the next one's not)."""
    condition = Q(**{f"{rules.date_field(stage)}__isnull": False})
    index = rules.STAGES.index(stage)
    if index + 1 < len(rules.STAGES):
        condition &= Q(**{f"{rules.date_field(rules.STAGES[index + 1])}__isnull": True})
    return condition


def overdue(qs: QuerySet[Project], as_of: dt.date | None = None) -> QuerySet[Project]:
    """Projects overdue as of `as_of` (today): completion (§4.6, a filter) or acceptance (the
    pure `rules.acceptance_overdue` with each city's window, read from two dates a row)."""
    day = as_of or timezone.localdate()
    completion = (
        Q(planned_completion_on__lt=day)
        & (Q(completed_on__isnull=True) | Q(completed_on__gt=day))
        & (Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day))
    )
    waiting = qs.filter(completed_on__lte=day).values_list(
        "pk",
        "completed_on",
        "acceptance_applied_on",
        "withdrawn_on",
        "enterprise__city__batch__acceptance_window_months",
    )
    late = [
        pk
        for pk, completed, applied, withdrawn, months in waiting
        if rules.acceptance_overdue(
            rules.Dates(
                completed_on=completed, acceptance_applied_on=applied, withdrawn_on=withdrawn
            ),
            day,
            months,
        )
    ]
    return qs.filter(completion | Q(pk__in=late))


@dataclass(frozen=True)
class StageEntry:
    stage: rules.Stage
    label: str
    on: dt.date | None


def timeline(project: Project) -> list[StageEntry]:
    """Every stage with the date the project reached it (None: not yet)."""
    return [
        StageEntry(stage, rules.STAGE_LABELS[stage], getattr(project, rules.date_field(stage)))
        for stage in rules.STAGES
    ]


def reached_stages(project: Project) -> list[rules.Stage]:
    return [s for s in rules.STAGES if getattr(project, rules.date_field(s)) is not None]


def furthest(project: Project) -> rules.Stage | None:
    stages = reached_stages(project)
    return stages[-1] if stages else None


QUERY_MAX_LENGTH = 100


@dataclass(frozen=True)
class ProjectFilters:
    """The project list's filters; unknown choices are ignored (a stale link shows more, not an
    error)."""

    stage: str = ""
    sub_industry: int | None = None
    provider: int | None = None
    overdue: bool = False
    q: str = ""

    @classmethod
    def from_api(cls, query: Mapping[str, str]) -> ProjectFilters:
        """The API's reading: a value the schema does not allow is a 400 naming the field."""
        stage = query.get("stage", "")
        if stage and stage not in rules.STAGES:
            raise ValidationError({"stage": f"未知的阶段：{stage[:30]}"})
        overdue = query.get("overdue", "")
        if overdue not in ("", "true", "false"):
            raise ValidationError({"overdue": "overdue 只能是 true 或 false"})
        q = query.get("q", "")
        if len(q) > QUERY_MAX_LENGTH:
            raise ValidationError({"q": f"搜索关键字不能超过 {QUERY_MAX_LENGTH} 个字符"})
        ids = {
            name: parse_id(query[name], field=name) if query.get(name, "") != "" else None
            for name in ("sub_industry", "provider")
        }
        return cls(stage=stage, overdue=overdue == "true", q=q.strip(), **ids)

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ProjectFilters:
        """The page's reading: a stale or odd value is ignored (shows more, not an error)."""
        stage = query.get("stage", "")
        return cls(
            stage=stage if stage in rules.STAGES else "",
            sub_industry=parse_id_or_none(query.get("sub_industry", "")),
            provider=parse_id_or_none(query.get("provider", "")),
            overdue=query.get("overdue", "") in ("1", "true", "on"),
            q=query.get("q", "").strip()[:QUERY_MAX_LENGTH],
        )


def filter_projects(qs: QuerySet[Project], f: ProjectFilters) -> QuerySet[Project]:
    if f.stage:
        qs = qs.filter(at_stage(rules.Stage(f.stage)))
    if f.sub_industry is not None:
        qs = qs.filter(enterprise__sub_industry_id=f.sub_industry)
    if f.provider is not None:
        qs = qs.filter(provider_id=f.provider)
    if f.q:
        qs = qs.filter(Q(enterprise__name__icontains=f.q) | Q(enterprise__uscc=f.q.upper()))
    if f.overdue:
        qs = overdue(qs)
    return qs.order_by("-applied_on", "-id")


@dataclass(frozen=True)
class Entitlement:
    after_level: int | None
    amount: Decimal


def entitlement_of(project: Project) -> Entitlement | None:
    """§4.3 for an accepted project (None before acceptance): its after-level and the amount the
    approved subsidy may not exceed, under the city's rules."""
    if project.accepted_on is None or project.completed_on is None:
        return None
    assessments = after_levels([project.enterprise_id]).get(project.enterprise_id, [])
    level = after_level(assessments, project.completed_on, project.accepted_on)
    terms = [r.terms() for r in SubsidyRule.objects.filter(city_id=project.enterprise.city_id)]
    eligible = rules.eligible_investment((ln.category, ln.amount) for ln in project.lines.all())
    amount = rules.entitlement(
        terms, completed_on=project.completed_on, after_level=level, eligible=eligible
    )
    return Entitlement(level, amount)
