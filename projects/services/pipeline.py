"""The project pipeline (domain §4.2): the one module that moves a project between stages.

Every move goes through `_move`: the project row is locked (`SELECT … FOR UPDATE`), the actor's
scope is checked (out of scope: NotFound), the stage table of the pure `projects.rules` decides
(a role that may never make the move: Forbidden; a move the project's state does not allow:
Conflict, with the table's Chinese reason), the move's own input is validated (ValidationError
naming the field), the dates are checked once more against `rules.date_errors`, and the move is
recorded as a `ProjectEvent` (who, when, comment). Two concurrent moves on one project queue on
the row lock; the second sees the first one's state and is refused if it no longer fits.

A project loaded by the `projects` import carries only dates; `state_of` reads the working
state from the dates first and the service's own fields second, so an imported project continues
in the pipeline where its history ends.

Pages and the API call the same functions; nothing else writes a project's stage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import policy
from accounts.models import User
from assessments.choices import Method, Purpose, State
from assessments.models import Assessment
from cities.models import Enterprise
from providers.choices import LibraryStatus
from providers.models import LibraryEntry
from providers.selectors import scene_names
from sme_pilot.errors import Conflict, Forbidden, NotFound

from .. import rules
from ..choices import DocType, FilingState
from ..models import (
    EVENT_COMMENT_MAX_LENGTH,
    MONEY_DIGITS,
    SATISFACTION_MAX,
    SATISFACTION_MIN,
    InvestmentLine,
    Project,
    ProjectEvent,
)
from ..selectors import projects as selectors
from ..selectors.after_levels import after_level, after_levels
from ..signals import projects_changed
from . import notices

Move = rules.Move
MAX_AMOUNT = Decimal(10 ** (MONEY_DIGITS - 2)) - Decimal("0.01")
CONTRACT_NO_MAX_LENGTH = 50
REFERENCE_MAX_LENGTH = 50
_CATEGORIES = frozenset(c.value for c in rules.Category)
MAX_PLAN_YEARS = 5  # a planned completion more than this after signing is a typing error

# The on-site acceptance checklist (§4.2 stage 8): every item must hold for 验收通过.
CHECKLIST: Mapping[str, str] = {
    "systems_in_use": "改造系统已上线使用",
    "contract_genuine": "合同真实有效",
    "invoices_genuine": "发票及付款凭证真实有效",
    "dossier_complete": "一企一档材料齐全",
}

# The eligibility declaration of an application (§4.2 stage 1).
DECLARATION: Mapping[str, str] = {
    "registered_locally": "在本市注册登记、具有独立法人资格",
    "good_credit": "信用良好，未被列入严重失信主体名单",
    "no_violations": "近三年未发生重大安全、质量、环境违法行为",
    "pledge": "承诺所填信息真实、准确、完整，如有不实愿承担相应责任",
}


# --- the state the stage table reads ----------------------------------------------------------


def state_of(project: Project) -> rules.ProjectState:
    """The stage table's view of a project: its dates first (an imported history), then the
    service's working fields (reviews, filings, acceptance attempts)."""
    stage = selectors.furthest(project)
    attempts = project.acceptance_attempts
    failed = project.failed_attempts
    if project.acceptance_applied_on is not None:
        attempts = max(attempts, 1)
    if project.acceptance_failed_on is not None:
        failed = max(failed, 1)
        if project.accepted_on is None:
            attempts = max(attempts, failed)
    return rules.ProjectState(
        stage=stage,
        rejected=project.rejected_on is not None,
        withdrawn=project.withdrawn_on is not None,
        application_reviewed=(
            project.application_reviewed_at is not None or project.admitted_on is not None
        ),
        filing_submitted=project.filing_state == FilingState.SUBMITTED,
        filing_returned=project.filing_state == FilingState.RETURNED,
        acceptance_attempts=attempts,
        failed_attempts=failed,
        acceptance_reviewed=project.acceptance_reviewed_at is not None,
        acceptance_scheduled=project.acceptance_scheduled_on is not None,
    )


def actor_of(user: object) -> str:
    """The stage table's actor for a user: the role's own name (rules.ACTORS use the role
    values); a role that moves nothing gets a name no move allows."""
    return policy.role_of(user) or "anonymous"


def _acts_on(user: object, project: Project, move: Move) -> bool:
    """Scope beyond visibility: a provider diagnoses only the projects the city gave it to
    diagnose, and serves only those where it is the chosen provider."""
    scope = policy.scope_of(user)
    if scope.reach is policy.Reach.PROVIDER:
        if move is Move.DIAGNOSE:
            return project.diagnosis_provider_id == scope.provider_id
        return project.provider_id == scope.provider_id
    return True


def moves_for(user: object, project: Project) -> list[Move]:
    """The moves `user` may make on `project` now, in table order (the buttons a page shows)."""
    actor = actor_of(user)
    allowed = rules.allowed_moves(state_of(project), actor)
    return [m for m in allowed if m is not Move.APPLY and _acts_on(user, project, m)]


def refusal(user: object, project: Project, move: Move) -> Exception | None:
    """Why `user` may not make `move` on `project` now, as the error a request gets (None: it
    may): NotFound for a provider outside its projects, Forbidden for a role that never makes
    the move, Conflict with the stage table's reason otherwise."""
    if move is Move.APPLY:
        return Conflict("该企业本期试点已申报改造项目，不能重复申报")
    if not _acts_on(user, project, move):
        return NotFound("没有找到该改造项目")
    kind = actor_of(user)
    if kind not in rules.MOVE_ACTORS[move]:
        return Forbidden(rules.check_move(rules.ProjectState(), move, kind) or "您无权执行此操作")
    reason = rules.check_move(state_of(project), move, kind)
    return Conflict(reason) if reason is not None else None


# --- the one way a move happens ---------------------------------------------------------------


def _refuse_actor(move: Move, actor: str) -> None:
    if actor not in rules.MOVE_ACTORS[move]:
        reason = rules.check_move(rules.ProjectState(), move, actor)
        raise Forbidden(reason or "您无权执行此操作")


def _comment(comment: str, *, required: str | None = None) -> str:
    comment = (comment or "").strip()
    if required and not comment:
        raise ValidationError({"comment": required})
    if len(comment) > EVENT_COMMENT_MAX_LENGTH:
        raise ValidationError({"comment": f"说明不能超过 {EVENT_COMMENT_MAX_LENGTH} 个字符"})
    return comment


def _today() -> dt.date:
    return timezone.localdate()


def _dates(project: Project) -> rules.Dates:
    return rules.Dates(**{name: getattr(project, name) for name in rules.DATE_FIELDS})


def _record(project: Project, move: Move, actor: User, comment: str) -> None:
    furthest = selectors.furthest(project)
    ProjectEvent.objects.create(
        project=project,
        move=move.value,
        stage=furthest.value if furthest else "",
        actor=actor,
        at=timezone.now(),
        comment=comment,
    )


def _changed(project: Project, city_id: int) -> None:
    project.save()
    projects_changed.send(sender=Project, city_ids=[city_id])


def _move(
    *,
    actor: User,
    project_id: int,
    move: Move,
    comment: str,
    change: Callable[[Project, dt.date], None],
    required: str | None = None,
) -> Project:
    """Lock, check scope and the stage table, then the input (`change` validates its own and
    raises ValidationError before it writes), check the dates, record. The order tells a role
    that may not act nothing about the project, and an out-of-order move nothing about its
    input."""
    kind = actor_of(actor)
    with transaction.atomic():
        try:
            project = (
                selectors.project_list_visible_to(user=actor)
                .select_for_update(of=("self",))
                .get(pk=project_id)
            )
        except Project.DoesNotExist:
            raise NotFound("没有找到该改造项目") from None
        if not _acts_on(actor, project, move):
            raise NotFound("没有找到该改造项目")
        _refuse_actor(move, kind)
        reason = rules.check_move(state_of(project), move, kind)
        if reason is not None:
            raise Conflict(reason)
        comment = _comment(comment, required=required)
        today = _today()
        change(project, today)
        stage = rules.MOVE_STAGE.get(move)
        if stage is not None and getattr(project, rules.date_field(stage)) is None:
            setattr(project, rules.date_field(stage), today)
        outcome = rules.MOVE_OUTCOME.get(move)
        if outcome is not None and getattr(project, outcome) is None:
            setattr(project, outcome, today)
        errors = rules.date_errors(_dates(project))
        if errors:
            raise Conflict("；".join(message for _, message in errors))
        _changed(project, project.enterprise.city_id)
        _record(project, move, actor, comment)
        notices.announce(project=project, move=move, actor=actor, comment=comment)
    return project


# --- input helpers ----------------------------------------------------------------------------


def _amount(value: object, field: str, label: str) -> Decimal:
    if value is None or str(value).strip() == "":
        raise ValidationError({field: f"请填写{label}"})
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"{label}不是有效的金额"}) from None
    if not amount.is_finite():
        raise ValidationError({field: f"{label}不是有效的金额"})
    if amount < 0:
        raise ValidationError({field: f"{label}不能为负数"})
    if amount > MAX_AMOUNT:
        raise ValidationError({field: f"{label}超出范围"})
    if amount != amount.quantize(rules.CENT):
        raise ValidationError({field: f"{label}最多保留两位小数"})
    return rules.money(amount)


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f} 元"


def _has_document(project: Project, *doc_types: str) -> list[str]:
    """The labels of the `doc_types` the project holds no document of."""
    present = set(project.documents.values_list("doc_type", flat=True))
    labels = dict(DocType.choices)
    return [labels[t] for t in doc_types if t not in present]


def _require_documents(project: Project, *doc_types: str, what: str) -> None:
    missing = _has_document(project, *doc_types)
    if missing:
        raise ValidationError({"documents": f"请先上传{'、'.join(missing)}，再{what}"})


# --- 1 applied ---------------------------------------------------------------------------------


def apply(
    *,
    actor: User,
    enterprise_id: int | None = None,
    declaration: Mapping[str, bool],
    comment: str = "",
) -> Project:
    """The enterprise applies to the pool (or the city enters the application for it), with the
    eligibility declaration; one project per enterprise per pilot."""
    kind = actor_of(actor)
    _refuse_actor(Move.APPLY, kind)
    scope = policy.scope_of(actor)
    if kind == rules.ENTERPRISE:
        enterprise_id = scope.enterprise_id
    if enterprise_id is None:
        raise ValidationError({"enterprise": "请选择申报企业"})
    enterprise = Enterprise.objects.filter(pk=enterprise_id).first()
    if enterprise is None or (kind == rules.CITY_OFFICIAL and enterprise.city_id != scope.city_id):
        raise NotFound("没有找到该企业")
    missing = [label for key, label in DECLARATION.items() if not declaration.get(key)]
    if missing:
        raise ValidationError({"declaration": f"申报前须确认：{'；'.join(missing)}"})
    comment = _comment(comment)
    now = timezone.now()
    try:
        with transaction.atomic():
            if Project.objects.filter(enterprise=enterprise).exists():
                raise Conflict("该企业本期试点已申报改造项目，不能重复申报")
            project = Project.objects.create(
                enterprise=enterprise, applied_on=_today(), declared_at=now
            )
            _record(project, Move.APPLY, actor, comment)
            projects_changed.send(sender=Project, city_ids=[enterprise.city_id])
    except IntegrityError:
        raise Conflict("该企业本期试点已申报改造项目，不能重复申报") from None
    return project


# --- 2 admitted --------------------------------------------------------------------------------


def review_application(*, actor: User, project_id: int, comment: str = "") -> Project:
    """The district official's first review (初审) passes the application to the city."""

    def change(project: Project, today: dt.date) -> None:
        project.application_reviewed_at = timezone.now()

    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.DISTRICT_REVIEW_APPLICATION,
        comment=comment,
        change=change,
    )


def _library_entry(provider_id: int, city_id: int, field: str) -> LibraryEntry:
    entry = (
        LibraryEntry.objects.select_related("provider")
        .filter(provider__pk=provider_id, city_id=city_id)
        .first()
    )
    if entry is None:
        raise ValidationError({field: "该服务商不在本市服务商库中"})
    if entry.status != LibraryStatus.ACTIVE:
        raise ValidationError(
            {field: f"该服务商在本市服务商库中的状态为「{entry.get_status_display()}」，不能选择"}
        )
    return entry


def admit(
    *,
    actor: User,
    project_id: int,
    diagnosis_provider_id: int | None = None,
    comment: str = "",
) -> Project:
    """The city admits the application to the pool, optionally naming the provider (active in
    its library) that will diagnose the enterprise; without one, the city's agency diagnoses."""

    def change(project: Project, today: dt.date) -> None:
        if diagnosis_provider_id is not None:
            entry = _library_entry(
                diagnosis_provider_id, project.enterprise.city_id, "diagnosis_provider"
            )
            project.diagnosis_provider = entry.provider

    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.ADMIT,
        comment=comment,
        change=change,
    )


def reject(*, actor: User, project_id: int, comment: str) -> Project:
    """Not admitted (未入库): by the district at its first review or by the city, with a reason."""
    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.REJECT,
        comment=comment,
        required="请填写不予入库的原因",
        change=lambda project, today: None,
    )


# --- 3 diagnosed -------------------------------------------------------------------------------


def diagnose(
    *,
    actor: User,
    project_id: int,
    scenes: list[str],
    baseline_assessment_id: int | None = None,
    comment: str = "",
) -> Project:
    """The diagnosing provider (or the city's agency) records the diagnosis: the report must be
    uploaded, the scenes targeted named, and a baseline (改造前) assessment linked if given."""

    def change(project: Project, today: dt.date) -> None:
        known = scene_names()
        if not isinstance(scenes, list) or not scenes:
            raise ValidationError({"scenes": "请至少选择一个改造场景"})
        unknown = [str(s)[:20] for s in scenes if s not in known]
        if unknown:
            raise ValidationError({"scenes": f"未知的场景：{'、'.join(unknown[:5])}"})
        _require_documents(project, rules.DOC_DIAGNOSIS_REPORT, what="提交诊断")
        if baseline_assessment_id is not None:
            baseline = Assessment.objects.filter(
                pk=baseline_assessment_id,
                enterprise_id=project.enterprise_id,
                purpose=Purpose.BASELINE,
                state__in=(State.SUBMITTED, State.CONFIRMED),
            ).first()
            if baseline is None:
                raise ValidationError(
                    {"baseline_assessment": "请选择该企业已提交或已确认的改造前评测"}
                )
            project.baseline_assessment = baseline
        project.diagnosis_scenes = sorted(set(scenes))

    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.DIAGNOSE,
        comment=comment,
        change=change,
    )


# --- 4 provider selected -----------------------------------------------------------------------


def select_provider(
    *, actor: User, project_id: int, provider_id: int, comment: str = ""
) -> Project:
    """The enterprise picks a provider active in its city's library."""

    def change(project: Project, today: dt.date) -> None:
        entry = _library_entry(provider_id, project.enterprise.city_id, "provider")
        project.provider = entry.provider

    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.SELECT_PROVIDER,
        comment=comment,
        change=change,
    )


# --- 5 contract filed --------------------------------------------------------------------------


@dataclass(frozen=True)
class Contract:
    contract_no: str
    signed_on: dt.date | None
    amount: object
    planned_completion_on: dt.date | None
    lines: Mapping[str, object]  # category → amount (yuan)


def _checked_contract(contract: Contract) -> tuple[str, Decimal, dict[str, Decimal]]:
    errors: dict[str, str] = {}
    number = (contract.contract_no or "").strip()
    if not number:
        errors["contract_no"] = "请填写合同编号"
    elif len(number) > CONTRACT_NO_MAX_LENGTH:
        errors["contract_no"] = f"合同编号不能超过 {CONTRACT_NO_MAX_LENGTH} 个字符"
    today = _today()
    signed, planned = contract.signed_on, contract.planned_completion_on
    if signed is None:
        errors["signed_on"] = "请填写合同签订日期"
    elif signed > today:
        errors["signed_on"] = "合同签订日期不能晚于今天"
    elif signed.year < 2000:
        errors["signed_on"] = "合同签订日期不能早于 2000 年"
    if planned is None:
        errors["planned_completion_on"] = "请填写计划完工日期"
    elif signed is None or "signed_on" in errors:
        pass  # judged against a valid signing date only
    elif planned < signed:
        errors["planned_completion_on"] = "计划完工日期不能早于合同签订日期"
    elif planned > rules.add_months(signed, 12 * MAX_PLAN_YEARS):
        errors["planned_completion_on"] = f"计划完工日期不能晚于签订后 {MAX_PLAN_YEARS} 年"
    amount = rules.ZERO
    try:
        amount = _amount(contract.amount, "contract_amount", "合同金额")
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    lines: dict[str, Decimal] = {}
    for category, value in contract.lines.items():
        if category not in _CATEGORIES:
            errors["lines"] = f"未知的投资类别：{str(category)[:20]}"
            continue
        label = rules.CATEGORY_LABELS[rules.Category(category)]
        if value in (None, ""):
            continue
        try:
            line = _amount(value, category, f"{label}投资")
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
            continue
        if line > 0:
            lines[category] = line
    if not lines and "lines" not in errors:
        errors["lines"] = "请至少填写一项投资明细"
    total = sum(lines.values(), rules.ZERO)
    if not errors and total > amount:
        errors["lines"] = f"投资明细合计 {_yuan(total)} 超过合同金额 {_yuan(amount)}"
    if errors:
        raise ValidationError(errors)
    return number, amount, lines


def file_contract(
    *, actor: User, project_id: int, contract: Contract, comment: str = ""
) -> Project:
    """The enterprise files its contract (the contract file uploaded first) for the city's
    approval; a returned filing is filed again the same way."""

    def change(project: Project, today: dt.date) -> None:
        number, amount, lines = _checked_contract(contract)
        _require_documents(project, rules.DOC_CONTRACT, what="提交合同备案")
        project.contract_no = number
        project.contract_amount = amount
        project.contract_signed_on = contract.signed_on
        project.planned_completion_on = contract.planned_completion_on
        project.filing_state = FilingState.SUBMITTED
        project.lines.all().delete()
        InvestmentLine.objects.bulk_create(
            InvestmentLine(project=project, category=c, amount=a) for c, a in lines.items()
        )

    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.FILE_CONTRACT,
        comment=comment,
        change=change,
    )


def approve_filing(*, actor: User, project_id: int, comment: str = "") -> Project:
    def change(project: Project, today: dt.date) -> None:
        project.filing_state = FilingState.NONE

    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.APPROVE_FILING,
        comment=comment,
        change=change,
    )


def return_filing(*, actor: User, project_id: int, comment: str) -> Project:
    def change(project: Project, today: dt.date) -> None:
        project.filing_state = FilingState.RETURNED

    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.RETURN_FILING,
        comment=comment,
        required="请填写退回原因，企业将据此修改",
        change=change,
    )


# --- 6 completed, 7 acceptance applied ---------------------------------------------------------


def complete(*, actor: User, project_id: int, comment: str = "") -> Project:
    """The enterprise declares completion (完工)."""
    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.COMPLETE,
        comment=comment,
        change=lambda project, today: None,
    )


def post_self_assessment(project: Project) -> Assessment | None:
    """The enterprise's post (改造后) self-assessment submitted since completion."""
    return (
        Assessment.objects.filter(
            enterprise_id=project.enterprise_id,
            purpose=Purpose.POST,
            method=Method.SELF,
            state__in=(State.SUBMITTED, State.CONFIRMED),
            assessed_on__gte=project.completed_on or dt.date.min,
        )
        .order_by("-assessed_on", "-id")
        .first()
    )


def apply_acceptance(
    *, actor: User, project_id: int, satisfaction: object, comment: str = ""
) -> Project:
    """The enterprise applies for acceptance with its invoices, payment proofs and summary
    uploaded, its post self-assessment submitted, and its rating of the provider (1-5)."""

    def change(project: Project, today: dt.date) -> None:
        try:
            rating = int(str(satisfaction))
        except ValueError:
            rating = 0
        if not SATISFACTION_MIN <= rating <= SATISFACTION_MAX:
            raise ValidationError(
                {"satisfaction": f"请为服务商评分（{SATISFACTION_MIN} 到 {SATISFACTION_MAX} 分）"}
            )
        _require_documents(
            project,
            rules.DOC_INVOICE,
            rules.DOC_PAYMENT_PROOF,
            rules.DOC_SUMMARY,
            what="申请验收",
        )
        if post_self_assessment(project) is None:
            raise ValidationError({"assessment": "请先填写并提交改造后（post）自评，再申请验收"})
        state = state_of(project)
        project.acceptance_attempts = state.acceptance_attempts + 1
        project.failed_attempts = state.failed_attempts
        project.acceptance_reviewed_at = None
        project.acceptance_scheduled_on = None
        project.acceptance_checklist = {}
        project.satisfaction = rating

    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.APPLY_ACCEPTANCE,
        comment=comment,
        change=change,
    )


def review_acceptance(*, actor: User, project_id: int, comment: str = "") -> Project:
    """The district official's first review of the acceptance application."""

    def change(project: Project, today: dt.date) -> None:
        project.acceptance_reviewed_at = timezone.now()

    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.DISTRICT_REVIEW_ACCEPTANCE,
        comment=comment,
        change=change,
    )


def schedule_acceptance(
    *, actor: User, project_id: int, on: dt.date | None, comment: str = ""
) -> Project:
    """The city schedules the on-site acceptance for a day from today to a year ahead."""

    def change(project: Project, today: dt.date) -> None:
        if on is None:
            raise ValidationError({"on": "请填写现场验收日期"})
        if on < today:
            raise ValidationError({"on": "现场验收日期不能早于今天"})
        if on > rules.add_months(today, 12):
            raise ValidationError({"on": "现场验收日期不能晚于一年以后"})
        project.acceptance_scheduled_on = on

    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.SCHEDULE_ACCEPTANCE,
        comment=comment,
        change=change,
    )


# --- 8 accepted or failed ----------------------------------------------------------------------


def after_level_on(project: Project, day: dt.date) -> int | None:
    """§4.3: the level of the enterprise's latest confirmed on-site post assessment dated from
    `completed_on` to `day` inclusive."""
    if project.completed_on is None:
        return None
    found = after_levels([project.enterprise_id]).get(project.enterprise_id, [])
    return after_level(found, project.completed_on, day)


def accept(
    *,
    actor: User,
    project_id: int,
    checklist: Mapping[str, bool],
    comment: str = "",
) -> Project:
    """验收通过: every checklist item holds and the assessor's confirmed on-site post assessment
    since completion gives an after-level at or above the pilot's minimum (2)."""

    def change(project: Project, today: dt.date) -> None:
        unchecked = [label for key, label in CHECKLIST.items() if not checklist.get(key)]
        if unchecked:
            raise ValidationError(
                {"checklist": f"以下核查项未通过，不能确认验收通过：{'；'.join(unchecked)}"}
            )
        minimum = project.enterprise.city.batch.min_level
        level = after_level_on(project, today)
        if level is None:
            raise ValidationError(
                {
                    "after_level": "没有完工日期以来经现场评定员确认的改造后评测，"
                    "请评定员先完成现场评定"
                }
            )
        if level < minimum:
            raise ValidationError(
                {"after_level": f"改造后等级为 {level} 级，低于验收要求的 {minimum} 级"}
            )
        project.after_level = level
        project.acceptance_checklist = {key: True for key in CHECKLIST}

    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.ACCEPT,
        comment=comment,
        change=change,
    )


def fail_acceptance(
    *, actor: User, project_id: int, rectification: str, checklist: Mapping[str, bool]
) -> Project:
    """验收未通过 with the rectification items; the project may apply again once."""

    def change(project: Project, today: dt.date) -> None:
        project.failed_attempts = state_of(project).failed_attempts + 1
        project.rectification = _comment(rectification)
        project.acceptance_checklist = {key: bool(checklist.get(key)) for key in CHECKLIST}

    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.FAIL_ACCEPTANCE,
        comment=rectification,
        required="请填写整改事项",
        change=change,
    )


# --- 9, 10 subsidy -----------------------------------------------------------------------------


def _split(central: object, local: object) -> tuple[Decimal, Decimal]:
    errors: dict[str, str] = {}
    amounts: dict[str, Decimal] = {}
    for field, value, label in (("central", central, "中央资金"), ("local", local, "地方资金")):
        try:
            amounts[field] = _amount(value if value not in (None, "") else "0", field, label)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    return amounts["central"], amounts["local"]


def approve_subsidy(
    *, actor: User, project_id: int, central: object, local: object, comment: str = ""
) -> Project:
    """The city fixes the subsidy, split into central and local money, never above the
    entitlement of §4.3 (shown on the form)."""

    def change(project: Project, today: dt.date) -> None:
        central_amount, local_amount = _split(central, local)
        total = central_amount + local_amount
        if total <= 0:
            raise ValidationError({"central": "核定金额须大于 0"})
        entitled = selectors.entitlement_of(project)
        limit = entitled.amount if entitled is not None else rules.ZERO
        if total > limit:
            raise ValidationError(
                {
                    "central": f"核定金额 {_yuan(total)} 超过该项目按奖补政策可获得的上限 "
                    f"{_yuan(limit)}"
                }
            )
        project.subsidy_central = central_amount
        project.subsidy_local = local_amount

    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.APPROVE_SUBSIDY,
        comment=comment,
        change=change,
    )


def pay_subsidy(
    *,
    actor: User,
    project_id: int,
    central: object,
    local: object,
    reference: str = "",
    comment: str = "",
) -> Project:
    """The payment, split into central and local funds; together they are the approved amount."""

    def change(project: Project, today: dt.date) -> None:
        central_amount, local_amount = _split(central, local)
        number = (reference or "").strip()
        if len(number) > REFERENCE_MAX_LENGTH:
            raise ValidationError(
                {"reference": f"拨付凭证号不能超过 {REFERENCE_MAX_LENGTH} 个字符"}
            )
        approved = (project.subsidy_central or rules.ZERO) + (project.subsidy_local or rules.ZERO)
        if central_amount + local_amount != approved:
            raise ValidationError(
                {
                    "central": f"中央与地方拨付合计 {_yuan(central_amount + local_amount)}，"
                    f"应等于核定金额 {_yuan(approved)}"
                }
            )
        project.subsidy_central = central_amount
        project.subsidy_local = local_amount
        project.subsidy_reference = number

    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.PAY_SUBSIDY,
        comment=comment,
        change=change,
    )


# --- withdrawal --------------------------------------------------------------------------------


def withdraw(*, actor: User, project_id: int, comment: str) -> Project:
    """退出, before acceptance, with a reason."""
    return _move(
        actor=actor,
        project_id=project_id,
        move=Move.WITHDRAW,
        comment=comment,
        required="请填写退出原因",
        change=lambda project, today: None,
    )


# --- one entry point for the API and the pages -------------------------------------------------


def perform(*, actor: User, project_id: int, move: Move, data: Mapping[str, Any]) -> Project:
    """Dispatch a move with its already-parsed input (`data`, as the forms and serializers give
    it) to the service function above."""
    comment = str(data.get("comment", "") or "")
    base: dict[str, Any] = {"actor": actor, "project_id": project_id}
    if move is Move.DISTRICT_REVIEW_APPLICATION:
        return review_application(**base, comment=comment)
    if move is Move.ADMIT:
        return admit(**base, diagnosis_provider_id=data.get("diagnosis_provider"), comment=comment)
    if move is Move.REJECT:
        return reject(**base, comment=comment)
    if move is Move.DIAGNOSE:
        return diagnose(
            **base,
            scenes=list(data.get("scenes") or []),
            baseline_assessment_id=data.get("baseline_assessment"),
            comment=comment,
        )
    if move is Move.SELECT_PROVIDER:
        return select_provider(**base, provider_id=data.get("provider") or 0, comment=comment)
    if move is Move.FILE_CONTRACT:
        contract = Contract(
            contract_no=str(data.get("contract_no") or ""),
            signed_on=data.get("signed_on"),
            amount=data.get("contract_amount"),
            planned_completion_on=data.get("planned_completion_on"),
            lines={c.value: data.get(c.value) for c in rules.Category},
        )
        return file_contract(**base, contract=contract, comment=comment)
    if move is Move.APPROVE_FILING:
        return approve_filing(**base, comment=comment)
    if move is Move.RETURN_FILING:
        return return_filing(**base, comment=comment)
    if move is Move.COMPLETE:
        return complete(**base, comment=comment)
    if move is Move.APPLY_ACCEPTANCE:
        return apply_acceptance(**base, satisfaction=data.get("satisfaction"), comment=comment)
    if move is Move.DISTRICT_REVIEW_ACCEPTANCE:
        return review_acceptance(**base, comment=comment)
    if move is Move.SCHEDULE_ACCEPTANCE:
        return schedule_acceptance(**base, on=data.get("on"), comment=comment)
    if move is Move.ACCEPT:
        return accept(**base, checklist=_checklist(data), comment=comment)
    if move is Move.FAIL_ACCEPTANCE:
        return fail_acceptance(
            **base, rectification=str(data.get("rectification", "")), checklist=_checklist(data)
        )
    if move is Move.APPROVE_SUBSIDY:
        return approve_subsidy(
            **base, central=data.get("central"), local=data.get("local"), comment=comment
        )
    if move is Move.PAY_SUBSIDY:
        return pay_subsidy(
            **base,
            central=data.get("central"),
            local=data.get("local"),
            reference=str(data.get("reference", "") or ""),
            comment=comment,
        )
    if move is Move.WITHDRAW:
        return withdraw(**base, comment=comment)
    raise NotFound("没有该操作")


def _checklist(data: Mapping[str, Any]) -> dict[str, bool]:
    return {key: bool(data.get(key)) for key in CHECKLIST}


__all__ = [
    "CHECKLIST",
    "DECLARATION",
    "Contract",
    "accept",
    "actor_of",
    "admit",
    "after_level_on",
    "apply",
    "apply_acceptance",
    "approve_filing",
    "approve_subsidy",
    "complete",
    "diagnose",
    "fail_acceptance",
    "file_contract",
    "moves_for",
    "pay_subsidy",
    "perform",
    "post_self_assessment",
    "refusal",
    "reject",
    "return_filing",
    "review_acceptance",
    "review_application",
    "schedule_acceptance",
    "select_provider",
    "state_of",
    "withdraw",
]
