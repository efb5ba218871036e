"""Who learns of a pipeline move (issue 16): one row per move that concerns someone else.

`announce` is called by `pipeline._move` inside the move's transaction; the notifications are
written after the commit (`notifications.services.notify_on_commit`), never for a refused or
rolled-back move, and never to the person who made the move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from accounts.models import User
from notifications import recipients
from notifications.choices import Kind
from notifications.recipients import Audience
from notifications.services import Event, notify_on_commit

from .. import rules
from ..models import Project

Move = rules.Move


def _enterprise(p: Project) -> Audience:
    return recipients.of(enterprise=p.enterprise_id)


def _provider(p: Project) -> Audience:
    return recipients.of(provider=p.provider_id)


def _city(p: Project) -> Audience:
    return recipients.of(city_officials=p.enterprise.city_id)


def _district(p: Project) -> Audience:
    """The district's officials; a project of an enterprise with no district: the city's."""
    if p.enterprise.district_id is None:
        return _city(p)
    return recipients.of(district=p.enterprise.district_id)


def _assessors(p: Project) -> Audience:
    return recipients.of(assessors=p.enterprise.city_id)


@dataclass(frozen=True)
class Notice:
    kind: str
    title: str  # formatted with the project (`{p.…}`)
    audience: tuple[Callable[[Project], Audience], ...]
    body: str = "{comment}"


NOTICES: dict[Move, Notice] = {
    Move.DISTRICT_REVIEW_APPLICATION: Notice(
        Kind.APPLICATION_REVIEWED,
        "{p.enterprise.name}的改造项目申报已通过区县初审，待市级审核入库",
        (_enterprise, _city),
    ),
    Move.ADMIT: Notice(
        Kind.APPLICATION_REVIEWED, "改造项目已入库：{p.enterprise.name}", (_enterprise,)
    ),
    Move.REJECT: Notice(
        Kind.APPLICATION_REVIEWED,
        "改造项目未予入库：{p.enterprise.name}",
        (_enterprise,),
        "原因：{comment}",
    ),
    Move.FILE_CONTRACT: Notice(
        Kind.FILING_SUBMITTED,
        "合同备案待审核：{p.enterprise.name}（合同 {p.contract_no}）",
        (_city,),
    ),
    Move.APPROVE_FILING: Notice(
        Kind.FILING_APPROVED, "合同备案已通过：{p.enterprise.name}", (_enterprise, _provider)
    ),
    Move.RETURN_FILING: Notice(
        Kind.FILING_RETURNED,
        "合同备案被退回，请修改后重新提交：{p.enterprise.name}",
        (_enterprise, _provider),
        "退回原因：{comment}",
    ),
    Move.APPLY_ACCEPTANCE: Notice(
        Kind.ACCEPTANCE_APPLIED, "验收申请待初审：{p.enterprise.name}", (_district,)
    ),
    Move.DISTRICT_REVIEW_ACCEPTANCE: Notice(
        Kind.ACCEPTANCE_APPLIED,
        "验收申请已通过区县初审，待安排现场验收：{p.enterprise.name}",
        (_city,),
    ),
    Move.SCHEDULE_ACCEPTANCE: Notice(
        Kind.ACCEPTANCE_SCHEDULED,
        "现场验收已安排在 {p.acceptance_scheduled_on:%Y-%m-%d}：{p.enterprise.name}",
        (_enterprise, _provider, _assessors),
    ),
    Move.ACCEPT: Notice(
        Kind.ACCEPTANCE_PASSED, "验收通过：{p.enterprise.name}", (_enterprise, _provider, _district)
    ),
    Move.FAIL_ACCEPTANCE: Notice(
        Kind.ACCEPTANCE_FAILED,
        "验收未通过，请按整改事项整改：{p.enterprise.name}",
        (_enterprise, _provider, _district),
        "整改事项：{comment}",
    ),
    Move.APPROVE_SUBSIDY: Notice(
        Kind.SUBSIDY_APPROVED, "奖补已核定：{p.enterprise.name}", (_enterprise,), "{amount}"
    ),
    Move.PAY_SUBSIDY: Notice(
        Kind.SUBSIDY_PAID, "奖补已拨付：{p.enterprise.name}", (_enterprise,), "{amount}"
    ),
}


def _amount(p: Project) -> str:
    central, local = p.subsidy_central, p.subsidy_local
    if central is None and local is None:
        return ""
    return f"中央资金 {central or 0:,.2f} 元，地方资金 {local or 0:,.2f} 元"


def announce(*, project: Project, move: Move, actor: User, comment: str) -> None:
    """Queue the notifications of `move` (if it has any) for after the commit."""
    notice = NOTICES.get(move)
    if notice is None:
        return
    audience = Audience()
    for part in notice.audience:
        audience = audience | part(project)
    body = (
        notice.body.format(comment=comment, amount=_amount(project))
        if comment or "{amount}" in notice.body
        else ""
    )
    notify_on_commit(
        recipients=audience,
        event=Event(
            kind=notice.kind,
            title=notice.title.format(p=project),
            body=body,
            link=reverse("projects:project_detail", args=[project.pk]),
            subject_type="project",
            subject_id=project.pk,
        ),
        exclude=actor.pk,
    )
