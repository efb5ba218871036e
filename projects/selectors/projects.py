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
from typing import Final
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.policy import Reach, Scope, scope_of
from cities.models import District, PilotCity
from sme_pilot.errors import NotFound
from sme_pilot.inputs import AsOfError, parse_as_of, parse_id, parse_id_or_none

from .. import rules
from ..models import Project, ProjectDocument, ProjectEvent, SubsidyRule
from . import funnel
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
        # and those the city gave it to diagnose (domain §4.2 stage 3).
        return Q(provider_id=scope.provider_id) | Q(diagnosis_provider_id=scope.provider_id)
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


OVERDUE_KINDS: Final[dict[str, str]] = {
    "any": "逾期（未完工或未申请验收）",
    "acceptance": "逾期未申请验收",
    "completion": "逾期未完工",
}


def overdue(
    qs: QuerySet[Project], as_of: dt.date | None = None, kind: str = "any"
) -> QuerySet[Project]:
    """Projects overdue as of `as_of` (today), §4.6: `kind` "completion", "acceptance" or "any"
    (either). The very conditions the funnel counts with (`funnel.completion_overdue_q`,
    `funnel.acceptance_overdue_q`, which `rules.acceptance_overdue` checks), so a list and the
    funnel's number can never disagree. One query for the acceptance windows of the cities
    involved (acceptance and any)."""
    day = as_of or timezone.localdate()
    late = Q(pk__in=[])
    if kind in ("any", "completion"):
        late |= funnel.completion_overdue_q(day)
    if kind in ("any", "acceptance"):
        cities = PilotCity.objects.filter(pk__in=qs.order_by().values("enterprise__city_id"))
        months = dict(cities.values_list("pk", "batch__acceptance_window_months"))
        late |= funnel.acceptance_overdue_q(day, months)
    return qs.filter(late)


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


def move_label(move: str) -> str:
    """A recorded move's Chinese name (an imported history reads 导入)."""
    if move == ProjectEvent.IMPORT_MOVE:
        return "导入"
    try:
        return rules.MOVE_LABELS[rules.Move(move)]
    except ValueError:
        return move


def reached_stages(project: Project) -> list[rules.Stage]:
    return [s for s in rules.STAGES if getattr(project, rules.date_field(s)) is not None]


def furthest(project: Project) -> rules.Stage | None:
    stages = reached_stages(project)
    return stages[-1] if stages else None


QUERY_MAX_LENGTH = 100
# §4.6 outcomes: the date field each counts, and its name on the pages (as on the dashboard).
OUTCOMES: Final[dict[str, tuple[str, str]]] = {
    "rejected": ("rejected_on", "未入库"),
    "withdrawn": ("withdrawn_on", "已退出"),
    "acceptance_failed": ("acceptance_failed_on", "验收未通过"),
}
# The provider evaluation's drill-downs (§4.5), as of `as_of` like the outcomes above.
EVALUATION_OUTCOMES: Final[dict[str, str]] = {
    "acceptance_decided": "有验收结果",
    "failed_not_accepted": "验收未通过且尚未通过",
    "on_time": "按期完工",
}
OUTCOME_LABELS: Final[dict[str, str]] = {
    **{name: label for name, (_, label) in OUTCOMES.items()},
    **EVALUATION_OUTCOMES,
}
NO_DISTRICT: Final = "none"  # `district=none`: enterprises without a district


def outcome_q(outcome: str, day: dt.date) -> Q:
    """The projects with `outcome` (a key of OUTCOME_LABELS) on or before `day`."""
    if outcome in OUTCOMES:
        return Q(**{f"{OUTCOMES[outcome][0]}__lte": day})
    accepted = Q(accepted_on__lte=day)
    failed = Q(acceptance_failed_on__lte=day)
    if outcome == "acceptance_decided":
        return accepted | failed
    if outcome == "failed_not_accepted":
        return failed & (Q(accepted_on__isnull=True) | Q(accepted_on__gt=day))
    if outcome == "on_time":
        return Q(completed_on__lte=day) & Q(completed_on__lte=F("planned_completion_on"))
    raise ValueError(outcome)


@dataclass(frozen=True)
class ProjectFilters:
    """The project list's filters, on the page, in the export and in the API.

    - `stage`: the project is *at* that stage now (its furthest stage);
    - `reached`: the funnel's `reached[s]`: its date for the stage is on or before `as_of`;
    - `outcome`: rejected / withdrawn / acceptance_failed, dated on or before `as_of`;
    - `overdue`: "any", "acceptance" or "completion", §4.6 as of `as_of`;
    - `as_of`: the date of `reached`, `outcome` and `overdue` (None: today);
    - `city`, `district` (an id, or `without_district`), `sub_industry`, `provider`: ids;
    - `q`: part of the enterprise's name, or its USCC.

    With `city`, `reached`/`outcome`/`overdue` and `as_of`, the list holds exactly the projects
    behind a number of the city's funnel (the dashboards link to it).
    """

    stage: str = ""
    reached: str = ""
    outcome: str = ""
    overdue: str = ""
    as_of: dt.date | None = None
    city: int | None = None
    district: int | None = None
    without_district: bool = False
    sub_industry: int | None = None
    provider: int | None = None
    q: str = ""

    @classmethod
    def from_api(cls, query: Mapping[str, str]) -> ProjectFilters:
        """The API's reading: a value the schema does not allow is a 400 naming the field."""
        for name, allowed in (("stage", rules.STAGES), ("reached", rules.STAGES)):
            value = query.get(name, "")
            if value and value not in allowed:
                raise ValidationError({name: f"未知的阶段：{value[:30]}"})
        outcome = query.get("outcome", "")
        if outcome and outcome not in OUTCOME_LABELS:
            raise ValidationError({"outcome": f"outcome 只能是 {'、'.join(OUTCOME_LABELS)}"})
        overdue = query.get("overdue", "")
        if overdue not in ("", "true", "false", "acceptance", "completion"):
            raise ValidationError(
                {"overdue": "overdue 只能是 true、false、acceptance 或 completion"}
            )
        q = query.get("q", "")
        if len(q) > QUERY_MAX_LENGTH:
            raise ValidationError({"q": f"搜索关键字不能超过 {QUERY_MAX_LENGTH} 个字符"})
        as_of = None
        if "as_of" in query:  # absent: today; present, it must be a date (empty is not one)
            try:
                if not query["as_of"].strip():
                    raise AsOfError("as_of 应为 YYYY-MM-DD 格式的日期，不能为空")
                as_of = parse_as_of(query["as_of"])
            except AsOfError as exc:
                raise ValidationError({"as_of": str(exc)}) from None
        district = query.get("district", "")
        ids = {
            name: parse_id(query[name], field=name) if query.get(name, "") != "" else None
            for name in ("sub_industry", "provider", "city")
        }
        return cls(
            stage=query.get("stage", ""),
            reached=query.get("reached", ""),
            outcome=outcome,
            overdue={"": "", "false": "", "true": "any"}.get(overdue, overdue),
            as_of=as_of,
            district=(
                None if district in ("", NO_DISTRICT) else parse_id(district, field="district")
            ),
            without_district=district == NO_DISTRICT,
            q=q.strip(),
            **ids,
        )

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ProjectFilters:
        """The page's reading: a stale or odd value is ignored (shows more, not an error)."""
        stage = query.get("stage", "")
        reached = query.get("reached", "")
        outcome = query.get("outcome", "")
        overdue = query.get("overdue", "")
        if overdue in ("1", "true", "on"):
            overdue = "any"
        try:
            as_of = parse_as_of(query["as_of"]) if query.get("as_of", "").strip() else None
        except AsOfError:
            as_of = None
        district = query.get("district", "")
        return cls(
            stage=stage if stage in rules.STAGES else "",
            reached=reached if reached in rules.STAGES else "",
            outcome=outcome if outcome in OUTCOME_LABELS else "",
            overdue=overdue if overdue in OVERDUE_KINDS else "",
            as_of=as_of,
            city=parse_id_or_none(query.get("city", "")),
            district=parse_id_or_none(district),
            without_district=district == NO_DISTRICT,
            sub_industry=parse_id_or_none(query.get("sub_industry", "")),
            provider=parse_id_or_none(query.get("provider", "")),
            q=query.get("q", "").strip()[:QUERY_MAX_LENGTH],
        )

    def as_query(self) -> dict[str, str]:
        """The query parameters that read back (`from_query`, `from_api`) as these filters."""
        values: dict[str, object] = {
            "q": self.q,
            "city": self.city,
            "district": NO_DISTRICT if self.without_district else self.district,
            "sub_industry": self.sub_industry,
            "provider": self.provider,
            "stage": self.stage,
            "reached": self.reached,
            "outcome": self.outcome,
            "overdue": "true" if self.overdue == "any" else self.overdue,
            "as_of": self.as_of.isoformat() if self.as_of else "",
        }
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    def urlencode(self) -> str:
        return urlencode(self.as_query())

    @property
    def dated(self) -> bool:
        """Whether `as_of` matters to these filters."""
        return bool(self.reached or self.outcome or self.overdue)


def district_choices(*, city_id: int) -> list[tuple[int | str, str]]:
    """The district filter's choices within one city: its districts by code, then 未划分区县."""
    found: list[tuple[int | str, str]] = list(
        District.objects.filter(city_id=city_id).order_by("code").values_list("pk", "name")
    )
    return [*found, (NO_DISTRICT, "未划分区县")]


def filter_projects(qs: QuerySet[Project], f: ProjectFilters) -> QuerySet[Project]:
    day = f.as_of or timezone.localdate()
    if f.stage:
        qs = qs.filter(at_stage(rules.Stage(f.stage)))
    if f.reached:
        qs = qs.filter(**{f"{rules.date_field(rules.Stage(f.reached))}__lte": day})
    if f.outcome:
        qs = qs.filter(outcome_q(f.outcome, day))
    if f.city is not None:
        qs = qs.filter(enterprise__city_id=f.city)
    if f.without_district:
        qs = qs.filter(enterprise__district__isnull=True)
    elif f.district is not None:
        qs = qs.filter(enterprise__district_id=f.district)
    if f.sub_industry is not None:
        qs = qs.filter(enterprise__sub_industry_id=f.sub_industry)
    if f.provider is not None:
        qs = qs.filter(provider_id=f.provider)
    if f.q:
        qs = qs.filter(Q(enterprise__name__icontains=f.q) | Q(enterprise__uscc=f.q.upper()))
    if f.overdue:
        qs = overdue(qs, day, f.overdue)
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
