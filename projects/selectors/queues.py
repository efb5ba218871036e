"""Work queues (待办): what waits for each person in the project pipeline.

Each queue is a filter over the projects the user may see (`projects.project_list_visible_to`),
so a district official's queue holds its district's projects only, a provider's the projects it
diagnoses or serves. The filters mirror the stage table (`projects.rules.check_move`) on the
columns the pipeline service keeps, so a project is in a queue exactly when the move the queue
names is open to the person (tested against `pipeline.moves_for`).

The counts for the navigation come from one aggregate query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.db.models import Count, F, Q, QuerySet, Sum

from accounts import policy
from accounts.choices import Role
from sme_pilot.errors import NotFound

from .. import rules, stage_triggers
from ..choices import FilingState
from ..models import Project, ProjectCount
from . import projects

LIVE: Final = Q(withdrawn_on__isnull=True, rejected_on__isnull=True)

APPLICATION_WAITING: Final = LIVE & Q(applied_on__isnull=False, admitted_on__isnull=True)

# An acceptance application waiting for its outcome: applied, not accepted, and not failed since
# (a failure before a new application leaves the attempts above the failures).
ACCEPTANCE_OPEN: Final = (
    LIVE
    & Q(acceptance_applied_on__isnull=False, accepted_on__isnull=True)
    & (Q(acceptance_failed_on__isnull=True) | Q(acceptance_attempts__gt=F("failed_attempts")))
)


@dataclass(frozen=True)
class Queue:
    key: str
    title: str
    hint: str
    condition: Q
    move: rules.Move | None  # the move that clears a project from the queue (its button)
    # The queue whose projects these are, under another role's name (kept counters, one column
    # per queue: `stage_triggers.WAITING`); empty: this queue's own key.
    same_as: str = ""

    @property
    def kept_column(self) -> str | None:
        """The project counters' column that keeps this queue's count, if any (the queues of
        the city-scoped roles)."""
        return KEPT.get(self.same_as or self.key)


KEPT: Final = {queue: column for column, queue, _ in stage_triggers.WAITING}


Q_ = Queue
DISTRICT_QUEUES: Final = (
    Q_(
        "review_applications",
        "待初审的入库申请",
        "核实企业资格声明后通过初审，或不予入库",
        APPLICATION_WAITING & Q(application_reviewed_at__isnull=True),
        rules.Move.DISTRICT_REVIEW_APPLICATION,
    ),
    Q_(
        "review_acceptances",
        "待初审的验收申请",
        "核对发票、付款凭证和项目总结后通过初审",
        ACCEPTANCE_OPEN & Q(acceptance_reviewed_at__isnull=True),
        rules.Move.DISTRICT_REVIEW_ACCEPTANCE,
    ),
)

CITY_QUEUES: Final = (
    Q_(
        "admit",
        "待审核入库",
        "区县已初审，决定入库或不予入库",
        APPLICATION_WAITING & Q(application_reviewed_at__isnull=False),
        rules.Move.ADMIT,
    ),
    Q_(
        "diagnose",
        "待本市代理机构诊断",
        "已入库、未指定诊断服务商的项目",
        LIVE
        & Q(admitted_on__isnull=False, diagnosed_on__isnull=True)
        & Q(diagnosis_provider__isnull=True),
        rules.Move.DIAGNOSE,
    ),
    Q_(
        "filings",
        "待审核合同备案",
        "核对合同、投资明细后通过或退回",
        LIVE & Q(filing_state=FilingState.SUBMITTED, contract_filed_on__isnull=True),
        rules.Move.APPROVE_FILING,
    ),
    Q_(
        "schedule",
        "待安排现场验收",
        "区县已初审的验收申请",
        ACCEPTANCE_OPEN
        & Q(acceptance_reviewed_at__isnull=False, acceptance_scheduled_on__isnull=True),
        rules.Move.SCHEDULE_ACCEPTANCE,
    ),
    Q_(
        "record_acceptance",
        "待确认验收结果",
        "已安排现场验收，评定员完成改造后现场评定后确认结果",
        ACCEPTANCE_OPEN & Q(acceptance_scheduled_on__isnull=False),
        rules.Move.ACCEPT,
    ),
    Q_(
        "approve_subsidy",
        "待核定奖补",
        "验收通过的项目，核定金额不超过奖补政策上限",
        Q(accepted_on__isnull=False, subsidy_approved_on__isnull=True),
        rules.Move.APPROVE_SUBSIDY,
    ),
    Q_(
        "pay_subsidy",
        "待拨付奖补",
        "已核定的奖补，拨付后登记中央与地方资金",
        Q(subsidy_approved_on__isnull=False, subsidy_paid_on__isnull=True),
        rules.Move.PAY_SUBSIDY,
    ),
)

ASSESSOR_QUEUES: Final = (
    Q_(
        "onsite_acceptance",
        "待现场验收评定",
        "城市已安排现场验收，请到企业完成改造后（post）现场评定",
        ACCEPTANCE_OPEN & Q(acceptance_scheduled_on__isnull=False),
        None,
        same_as="record_acceptance",
    ),
)


def _provider_queues(provider_id: int) -> tuple[Queue, ...]:
    return (
        Q_(
            "provider_diagnose",
            "待诊断",
            "城市指定由贵单位诊断的项目：上传诊断报告并提交诊断",
            LIVE
            & Q(admitted_on__isnull=False, diagnosed_on__isnull=True)
            & Q(diagnosis_provider_id=provider_id),
            rules.Move.DIAGNOSE,
        ),
        Q_(
            "provider_serving",
            "实施中的项目",
            "贵单位为服务商、合同已备案尚未验收通过的项目：上传交付物",
            LIVE
            & Q(provider_id=provider_id, contract_filed_on__isnull=False, accepted_on__isnull=True),
            None,
        ),
    )


ENTERPRISE_QUEUES: Final = (
    Q_(
        "select_provider",
        "待选择服务商",
        "诊断已完成，请从本市服务商库中选择服务商",
        LIVE & Q(diagnosed_on__isnull=False, provider_selected_on__isnull=True),
        rules.Move.SELECT_PROVIDER,
    ),
    Q_(
        "file_contract",
        "待提交合同备案",
        "上传合同并填写投资明细后提交备案；被退回的备案请修改后重新提交",
        LIVE
        & Q(provider_selected_on__isnull=False, contract_filed_on__isnull=True)
        & ~Q(filing_state=FilingState.SUBMITTED),
        rules.Move.FILE_CONTRACT,
    ),
    Q_(
        "complete",
        "待申报完工",
        "合同已备案，项目完工后申报完工",
        LIVE & Q(contract_filed_on__isnull=False, completed_on__isnull=True),
        rules.Move.COMPLETE,
    ),
    Q_(
        "apply_acceptance",
        "待申请验收",
        "完工后三个月内上传发票、付款凭证、项目总结，提交改造后自评并申请验收",
        LIVE
        & Q(completed_on__isnull=False, accepted_on__isnull=True)
        & (
            Q(acceptance_applied_on__isnull=True)
            | (
                Q(acceptance_failed_on__isnull=False)
                & Q(acceptance_attempts__lte=F("failed_attempts"))
                & Q(failed_attempts__lt=rules.ACCEPTANCE_ATTEMPTS)
            )
        ),
        rules.Move.APPLY_ACCEPTANCE,
    ),
)


def queues_for(user: object) -> tuple[Queue, ...]:
    """The queues of the user's role (none for the read-only roles)."""
    role = policy.role_of(user)
    if role == Role.DISTRICT_OFFICIAL:
        return DISTRICT_QUEUES
    if role == Role.CITY_OFFICIAL:
        return CITY_QUEUES
    if role == Role.ASSESSOR:
        return ASSESSOR_QUEUES
    if role == Role.ENTERPRISE:
        return ENTERPRISE_QUEUES
    if role == Role.PROVIDER:
        provider_id = policy.scope_of(user).provider_id
        return _provider_queues(provider_id) if provider_id is not None else ()
    return ()


def queue_counts(user: object) -> dict[str, int]:
    """Each queue's count, in one query: for a city's or a district's roles, a sum of the kept
    counters' rows of that city or district (`ProjectCount`, kept in the transaction of every
    write); else counted over the projects the user sees."""
    queues = queues_for(user)
    if not queues:
        return {}
    kept = _kept_counts(user, queues)
    return kept if kept is not None else _counted(user, queues)


def counted_queue_counts(user: object) -> dict[str, int]:
    """Each queue's count, counted over the projects the user sees with the queues' filters."""
    return _counted(user, queues_for(user))


def _counted(user: object, queues: tuple[Queue, ...]) -> dict[str, int]:
    visible = projects.project_list_visible_to(user=user).order_by()
    counts = visible.aggregate(**{q.key: Count("pk", filter=q.condition) for q in queues})
    return {q.key: int(counts[q.key] or 0) for q in queues}


def _kept_counts(user: object, queues: tuple[Queue, ...]) -> dict[str, int] | None:
    """The queues' counts from the kept project counters of the user's city or district; None
    when the user's scope is not one city or district or a queue is not kept."""
    columns = {q.key: q.kept_column for q in queues}
    if None in columns.values():
        return None
    scope = policy.scope_of(user)
    if scope.reach is policy.Reach.DISTRICT and scope.district_id is not None:
        rows = ProjectCount.objects.filter(district_id=scope.district_id)
    elif scope.reach is policy.Reach.CITY and scope.city_id is not None:
        rows = ProjectCount.objects.filter(city_id=scope.city_id)
    else:
        return None
    totals = rows.aggregate(**{key: Sum(column) for key, column in columns.items()})
    return {key: int(totals[key] or 0) for key in columns}


def _badge_queues(user: object) -> list[Queue]:
    """The queues that ask the user to act (a provider's 实施中 list and the like are for
    reading, not counted)."""
    return [q for q in queues_for(user) if q.move is not None or q.key == "onsite_acceptance"]


def waiting_count(user: object) -> int:
    """What the navigation's 待办 badge shows: the projects in the queues that ask the user to
    act (`queue_counts`: for a city's or a district's roles, from the kept counters)."""
    queues = _badge_queues(user)
    if not queues:
        return 0
    counts = queue_counts(user)
    return sum(counts[q.key] for q in queues)


def queue_projects(user: object, key: str) -> tuple[Queue, QuerySet[Project]]:
    """One queue's projects, oldest waiting first (by application date)."""
    for queue in queues_for(user):
        if queue.key == key:
            rows = (
                projects.project_list_visible_to(user=user)
                .select_related("enterprise__district")
                .filter(queue.condition)
                .order_by("applied_on", "id")
            )
            return queue, rows
    raise NotFound("没有该待办事项")
