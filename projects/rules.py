"""Pure project rules (domain §4.2, §4.3, §4.6): stages, dates, the entitlement, the stage table.

No Django here, only the standard library: the services, the imports, the funnel and the pages
all ask these functions, and the tests check them without a database.

- Stages and their dates (§4.2): a project *reaches* a stage on the date recorded for it;
  `date_errors` lists what is wrong with a set of dates (§4.6 date rules), `reached`,
  `furthest_stage`, `acceptance_overdue` and `completion_overdue` read them as of a day.
- The entitlement (§4.3): investment categories, eligible investment, the city's versioned
  subsidy terms and `entitlement`.
- The stage table (§4.2): `Move`, the actor kinds, `ProjectState` and `check_move` (None when the
  move is allowed, else the Chinese reason), `after_move` (the state a move leads to).
"""

from __future__ import annotations

import calendar
import enum
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

# --- Stages and dates (§4.2) ---------------------------------------------------------------


class Stage(enum.StrEnum):
    APPLIED = "applied"
    ADMITTED = "admitted"
    DIAGNOSED = "diagnosed"
    PROVIDER_SELECTED = "provider_selected"
    CONTRACT_FILED = "contract_filed"
    COMPLETED = "completed"
    ACCEPTANCE_APPLIED = "acceptance_applied"
    ACCEPTED = "accepted"
    SUBSIDY_APPROVED = "subsidy_approved"
    SUBSIDY_PAID = "subsidy_paid"


STAGES: Final[tuple[Stage, ...]] = tuple(Stage)  # in pipeline order

STAGE_LABELS: Final[dict[Stage, str]] = {
    Stage.APPLIED: "已申报",
    Stage.ADMITTED: "已入库",
    Stage.DIAGNOSED: "已诊断",
    Stage.PROVIDER_SELECTED: "已选定服务商",
    Stage.CONTRACT_FILED: "合同已备案",
    Stage.COMPLETED: "已完工",
    Stage.ACCEPTANCE_APPLIED: "已申请验收",
    Stage.ACCEPTED: "验收通过",
    Stage.SUBSIDY_APPROVED: "奖补已核定",
    Stage.SUBSIDY_PAID: "奖补已拨付",
}

# What is still to happen, for "项目尚未……": the phrase of the next stage a project waits for.
_NOT_YET: Final[dict[Stage, str]] = {
    Stage.APPLIED: "申报",
    Stage.ADMITTED: "入库",
    Stage.DIAGNOSED: "完成诊断",
    Stage.PROVIDER_SELECTED: "选定服务商",
    Stage.CONTRACT_FILED: "完成合同备案",
    Stage.COMPLETED: "完工",
    Stage.ACCEPTANCE_APPLIED: "申请验收",
    Stage.ACCEPTED: "通过验收",
    Stage.SUBSIDY_APPROVED: "核定奖补",
    Stage.SUBSIDY_PAID: "拨付奖补",
}

OUTCOME_FIELDS: Final = ("rejected_on", "acceptance_failed_on", "withdrawn_on")

OUTCOME_LABELS: Final[dict[str, str]] = {
    "rejected_on": "未入库",
    "acceptance_failed_on": "验收未通过",
    "withdrawn_on": "已退出",
}


_DATE_FIELD: Final[dict[str, str]] = {s.value: f"{s.value}_on" for s in Stage}


def date_field(stage: Stage) -> str:
    """The date recorded for `stage`: "applied_on", "admitted_on", …"""
    try:
        return _DATE_FIELD[stage]
    except KeyError:
        raise ValueError(f"{stage!r} is not a stage") from None


STAGE_FIELDS: Final[tuple[str, ...]] = tuple(date_field(s) for s in STAGES)

# The Chinese name of every date field, as errors and pages name them.
DATE_LABELS: Final[dict[str, str]] = {
    "applied_on": "申报日期",
    "admitted_on": "入库日期",
    "diagnosed_on": "诊断日期",
    "provider_selected_on": "选定服务商日期",
    "contract_filed_on": "合同备案日期",
    "completed_on": "完工日期",
    "acceptance_applied_on": "申请验收日期",
    "accepted_on": "验收通过日期",
    "subsidy_approved_on": "奖补核定日期",
    "subsidy_paid_on": "奖补拨付日期",
    "rejected_on": "未入库日期",
    "acceptance_failed_on": "验收未通过日期",
    "withdrawn_on": "退出日期",
    "planned_completion_on": "计划完工日期",
}


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, the day clamped to the month's last day.

    2025-11-30 + 3 → 2026-02-28; 2024-11-30 + 3 → 2025-02-28; 2023-11-30 + 3 → 2024-02-29.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class Dates:
    """The dates of one project: the ten stage dates, the three outcomes, the planned completion."""

    applied_on: date | None = None
    admitted_on: date | None = None
    diagnosed_on: date | None = None
    provider_selected_on: date | None = None
    contract_filed_on: date | None = None
    completed_on: date | None = None
    acceptance_applied_on: date | None = None
    accepted_on: date | None = None
    subsidy_approved_on: date | None = None
    subsidy_paid_on: date | None = None
    rejected_on: date | None = None
    acceptance_failed_on: date | None = None
    withdrawn_on: date | None = None
    planned_completion_on: date | None = None

    def of(self, stage: Stage) -> date | None:
        """The date recorded for `stage`, if any."""
        value: date | None = getattr(self, date_field(stage))
        return value


DATE_FIELDS: Final[tuple[str, ...]] = tuple(f.name for f in fields(Dates))


def _day(value: date) -> str:
    return value.isoformat()


# The dates that record something done (every stage and outcome): none can lie after the day it
# is written. `planned_completion_on` is a plan and may.
DONE_FIELDS: Final[tuple[str, ...]] = (*STAGE_FIELDS, *OUTCOME_FIELDS)


def future_date_errors(d: Dates, today: date) -> list[tuple[str, str]]:
    """The stage and outcome dates of `d` after `today`, as (field, Chinese message): a step is
    recorded when it has happened. The kept project counters rely on it (docs/rules.md "Kept
    project counters": having the date means having reached the stage by today)."""
    return [
        (name, f"{DATE_LABELS[name]}（{_day(value)}）不能晚于今天（{_day(today)}）")
        for name in DONE_FIELDS
        if (value := getattr(d, name)) is not None and value > today
    ]


def date_errors(d: Dates) -> list[tuple[str, str]]:
    """What is wrong with a project's dates (§4.2, §4.6), as (field, Chinese message), in order.

    - a stage date needs every earlier stage date, and none is earlier than the one before it
      (the same day is allowed: a city entering its history often records two steps at once);
    - `rejected_on` never with `admitted_on`, and not before `applied_on`;
    - `acceptance_failed_on` after `acceptance_applied_on`, and before `accepted_on` if both;
    - `withdrawn_on` after every stage and outcome date, never with `accepted_on`, and never for
      a rejected project (it never entered the pool, there is nothing to withdraw from).
    """
    errors: list[tuple[str, str]] = []
    previous: tuple[str, date] | None = None
    values = [getattr(d, name) for name in STAGE_FIELDS]
    for index, name in enumerate(STAGE_FIELDS):
        value = values[index]
        if value is None:
            continue
        missing = [DATE_LABELS[STAGE_FIELDS[i]] for i in range(index) if values[i] is None]
        if missing:
            errors.append((name, f"填写了{DATE_LABELS[name]}，但缺少{'、'.join(missing)}"))
        if previous is not None and value < previous[1]:
            errors.append(
                (
                    name,
                    f"{DATE_LABELS[name]}（{_day(value)}）不能早于"
                    f"{DATE_LABELS[previous[0]]}（{_day(previous[1])}）",
                )
            )
        previous = (name, value)

    if d.rejected_on is not None:
        if d.admitted_on is not None:
            errors.append(("rejected_on", "未入库日期与入库日期不能同时填写"))
        if d.applied_on is None:
            errors.append(("rejected_on", "填写了未入库日期，但缺少申报日期"))
        elif d.rejected_on < d.applied_on:
            errors.append(
                (
                    "rejected_on",
                    f"未入库日期（{_day(d.rejected_on)}）不能早于申报日期（{_day(d.applied_on)}）",
                )
            )

    if d.acceptance_failed_on is not None:
        failed = d.acceptance_failed_on
        if d.acceptance_applied_on is None:
            errors.append(("acceptance_failed_on", "填写了验收未通过日期，但缺少申请验收日期"))
        elif failed <= d.acceptance_applied_on:
            errors.append(
                (
                    "acceptance_failed_on",
                    f"验收未通过日期（{_day(failed)}）应晚于申请验收日期"
                    f"（{_day(d.acceptance_applied_on)}）",
                )
            )
        if d.accepted_on is not None and failed >= d.accepted_on:
            errors.append(
                (
                    "acceptance_failed_on",
                    f"验收未通过日期（{_day(failed)}）应早于验收通过日期（{_day(d.accepted_on)}）",
                )
            )

    if d.withdrawn_on is not None:
        withdrawn = d.withdrawn_on
        if d.accepted_on is not None:
            errors.append(
                ("withdrawn_on", "已验收通过的项目不能退出：退出日期与验收通过日期不能同时填写")
            )
        if d.rejected_on is not None:
            errors.append(
                ("withdrawn_on", "未入库的项目不能退出：退出日期与未入库日期不能同时填写")
            )
        if d.applied_on is None:
            errors.append(("withdrawn_on", "填写了退出日期，但缺少申报日期"))
        others = [
            (name, value)
            for name in (*STAGE_FIELDS, "rejected_on", "acceptance_failed_on")
            if (value := getattr(d, name)) is not None and value >= withdrawn
        ]
        if others:
            name, value = max(others, key=lambda item: item[1])
            errors.append(
                (
                    "withdrawn_on",
                    f"退出日期（{_day(withdrawn)}）应晚于{DATE_LABELS[name]}（{_day(value)}）",
                )
            )
    return errors


def reached(d: Dates, stage: Stage, as_of: date) -> bool:
    """The project has a date for `stage` on or before `as_of` (§4.6)."""
    value = d.of(stage)
    return value is not None and value <= as_of


def furthest_stage(d: Dates, as_of: date) -> Stage | None:
    """The last stage reached by `as_of`, None before the application."""
    furthest: Stage | None = None
    for stage in STAGES:
        if reached(d, stage, as_of):
            furthest = stage
    return furthest


def _on_or_before(value: date | None, as_of: date) -> bool:
    return value is not None and value <= as_of


def acceptance_overdue(d: Dates, as_of: date, months: int) -> bool:
    """§4.6 `overdue.acceptance`: completed + `months` (calendar, clamped) is before `as_of`, no
    acceptance application by `as_of`, not withdrawn by `as_of`."""
    if d.completed_on is None or _on_or_before(d.withdrawn_on, as_of):
        return False
    if _on_or_before(d.acceptance_applied_on, as_of):
        return False
    return add_months(d.completed_on, months) < as_of


def completion_overdue(d: Dates, as_of: date) -> bool:
    """§4.6 `overdue.completion`: planned completion before `as_of`, not completed by `as_of`, not
    withdrawn by `as_of`."""
    if d.planned_completion_on is None or _on_or_before(d.withdrawn_on, as_of):
        return False
    if _on_or_before(d.completed_on, as_of):
        return False
    return d.planned_completion_on < as_of


# --- Investment and the entitlement (§4.3) -------------------------------------------------


class Category(enum.StrEnum):
    SOFTWARE = "software"
    CLOUD = "cloud"
    DATA_HARDWARE = "data_hardware"
    IT_OPS = "it_ops"
    EMBEDDED = "embedded"
    OFFICE_IT = "office_it"
    CABLING = "cabling"
    OTHER = "other"


CATEGORY_LABELS: Final[dict[Category, str]] = {
    Category.SOFTWARE: "软件",
    Category.CLOUD: "云服务",
    Category.DATA_HARDWARE: "数据采集传输设备",
    Category.IT_OPS: "运维服务",
    Category.EMBEDDED: "嵌入式/PLC软件",
    Category.OFFICE_IT: "办公电脑及外设",
    Category.CABLING: "弱电布线",
    Category.OTHER: "其他",
}

ELIGIBLE: Final[frozenset[Category]] = frozenset(
    {Category.SOFTWARE, Category.CLOUD, Category.DATA_HARDWARE}
)

CENT: Final = Decimal("0.01")
ZERO: Final = Decimal("0.00")
LEVELS_WITH_CAP: Final = (2, 3, 4)


def money(value: Decimal) -> Decimal:
    """Yuan with two decimals, rounded half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def eligible_investment(lines: Iterable[tuple[str, Decimal]]) -> Decimal:
    """The sum of the eligible lines (software, cloud, data hardware), yuan with 2 decimals.

    Raises ValueError on an unknown category or a negative amount: callers validate input first.
    """
    total = Decimal(0)
    for category, amount in lines:
        kind = Category(category)
        if amount < 0:
            raise ValueError(f"negative investment line: {category} {amount}")
        if kind in ELIGIBLE:
            total += amount
    return money(total)


@dataclass(frozen=True)
class SubsidyTerms:
    """One rule of a city's subsidy policy, valid for completions from `valid_from` to `valid_to`
    inclusive (None: open-ended). `caps` maps the after-level (2, 3, 4) to the cap in yuan."""

    valid_from: date
    valid_to: date | None
    rate: Decimal
    caps: Mapping[int, Decimal]
    min_level: int

    def __post_init__(self) -> None:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        if not Decimal(0) <= self.rate <= Decimal(1):
            raise ValueError("rate outside 0-1")
        if set(self.caps) != set(LEVELS_WITH_CAP):
            raise ValueError("caps must name the after-levels 2, 3 and 4")
        if any(cap < 0 for cap in self.caps.values()):
            raise ValueError("negative cap")
        if self.min_level not in LEVELS_WITH_CAP:
            raise ValueError("min_level outside 2-4")
        object.__setattr__(self, "caps", types.MappingProxyType(dict(self.caps)))

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def cap(self, level: int) -> Decimal:
        """The cap for an after-level at or above 2 (a level above 4 takes the level-4 cap)."""
        return money(self.caps[min(level, max(LEVELS_WITH_CAP))])


def rule_for(rules: Sequence[SubsidyTerms], completed_on: date) -> SubsidyTerms | None:
    """The rule whose range contains `completed_on`; None if none does.

    A city's ranges never overlap (the service checks it with `overlapping`); were they to, the
    rule that starts last wins, so the answer is still one rule and the same every time.
    """
    matching = [r for r in rules if r.covers(completed_on)]
    return max(matching, key=lambda r: r.valid_from) if matching else None


def entitlement(
    rules: Sequence[SubsidyTerms],
    *,
    completed_on: date | None,
    after_level: int | None,
    eligible: Decimal,
) -> Decimal:
    """§4.3: min(round_half_up(rate × eligible, 2), cap[after_level]) under the rule containing
    `completed_on`; 0.00 without a completion, a rule, or an after-level ≥ the rule's minimum."""
    if eligible < 0:
        raise ValueError("negative eligible investment")
    if completed_on is None or after_level is None:
        return ZERO
    rule = rule_for(rules, completed_on)
    if rule is None or after_level < rule.min_level:
        return ZERO
    return min(money(rule.rate * eligible), rule.cap(after_level))


def overlapping(rules: Sequence[SubsidyTerms]) -> list[tuple[SubsidyTerms, SubsidyTerms]]:
    """Every pair of rules whose ranges share a day (ends inclusive), earlier start first."""
    ordered = sorted(rules, key=lambda r: (r.valid_from, r.valid_to or date.max))
    pairs: list[tuple[SubsidyTerms, SubsidyTerms]] = []
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if first.valid_to is None or second.valid_from <= first.valid_to:
                pairs.append((first, second))
    return pairs


def _yuan_words(amount: Decimal) -> str:
    """An amount as a city notice writes it: 300000 → "30 万元", 12345.6 → "12,345.60 元"."""
    amount = money(amount)
    if amount >= 10000 and amount % 100 == 0:
        wan = (amount / 10000).normalize()
        return f"{wan:f} 万元"
    return f"{amount:,.2f} 元"


def describe(terms: SubsidyTerms) -> str:
    """The rule in words, for the policy page: range, rate, minimum level and caps."""
    until = f"至 {terms.valid_to.isoformat()}" if terms.valid_to else "起（不设截止日期）"
    percent = (terms.rate * 100).normalize()
    levels = "、".join(
        f"{LEVEL_WORDS[level]}封顶 {_yuan_words(terms.caps[level])}"
        for level in LEVELS_WITH_CAP
        if level >= terms.min_level
    )
    return (
        f"完工日期在 {terms.valid_from.isoformat()} {until}的项目，"
        f"按符合条件投资（软件、云服务、数据采集传输设备）的 {percent:f}% 补助，"
        f"改造后等级须达到{LEVEL_WORDS[terms.min_level]}及以上：{levels}；"
        "低于该等级或没有改造后等级的项目不予奖补。"
    )


LEVEL_WORDS: Final[dict[int, str]] = {2: "二级", 3: "三级", 4: "四级"}
EXAMPLE_INVESTMENT: Final = Decimal(1000000)


def example(terms: SubsidyTerms, eligible: Decimal = EXAMPLE_INVESTMENT) -> str:
    """A worked example of the rule, for the policy page: a project completed on the rule's
    first day, at its minimum level, with `eligible` investment (100 万元 unless given)."""
    level = terms.min_level
    share = money(terms.rate * eligible)
    cap = terms.cap(level)
    amount = entitlement(
        [terms], completed_on=terms.valid_from, after_level=level, eligible=eligible
    )
    percent = (terms.rate * 100).normalize()
    head = (
        f"例：完工日期 {terms.valid_from.isoformat()}、符合条件投资 {_yuan_words(eligible)}、"
        f"改造后等级{LEVEL_WORDS[level]}的项目：{_yuan_words(eligible)} × {percent:f}% = "
        f"{_yuan_words(share)}"
    )
    if share > cap:
        return (
            f"{head}，高于{LEVEL_WORDS[level]}封顶 {_yuan_words(cap)}，"
            f"奖补最多 {_yuan_words(amount)}。"
        )
    return (
        f"{head}，未超过{LEVEL_WORDS[level]}封顶 {_yuan_words(cap)}，"
        f"奖补最多 {_yuan_words(amount)}。"
    )


# --- The stage table (§4.2) ----------------------------------------------------------------

ENTERPRISE: Final = "enterprise"
DISTRICT_OFFICIAL: Final = "district_official"
CITY_OFFICIAL: Final = "city_official"
PROVIDER: Final = "provider"
ASSESSOR: Final = "assessor"
ACTORS: Final = (ENTERPRISE, DISTRICT_OFFICIAL, CITY_OFFICIAL, PROVIDER, ASSESSOR)
ACTOR_LABELS: Final[dict[str, str]] = {
    ENTERPRISE: "企业",
    DISTRICT_OFFICIAL: "区县管理员",
    CITY_OFFICIAL: "城市管理员",
    PROVIDER: "服务商",
    ASSESSOR: "现场评定员",
}


class Move(enum.StrEnum):
    APPLY = "apply"
    DISTRICT_REVIEW_APPLICATION = "district_review_application"
    ADMIT = "admit"
    REJECT = "reject"
    DIAGNOSE = "diagnose"
    SELECT_PROVIDER = "select_provider"
    FILE_CONTRACT = "file_contract"
    APPROVE_FILING = "approve_filing"
    RETURN_FILING = "return_filing"
    COMPLETE = "complete"
    APPLY_ACCEPTANCE = "apply_acceptance"  # also the one new application after a failure
    DISTRICT_REVIEW_ACCEPTANCE = "district_review_acceptance"
    SCHEDULE_ACCEPTANCE = "schedule_acceptance"
    ACCEPT = "accept"
    FAIL_ACCEPTANCE = "fail_acceptance"
    APPROVE_SUBSIDY = "approve_subsidy"
    PAY_SUBSIDY = "pay_subsidy"
    WITHDRAW = "withdraw"


MOVE_LABELS: Final[dict[Move, str]] = {
    Move.APPLY: "申报入库",
    Move.DISTRICT_REVIEW_APPLICATION: "初审入库申请",
    Move.ADMIT: "入库",
    Move.REJECT: "不予入库",
    Move.DIAGNOSE: "上传诊断报告",
    Move.SELECT_PROVIDER: "选择服务商",
    Move.FILE_CONTRACT: "提交合同备案",
    Move.APPROVE_FILING: "通过合同备案",
    Move.RETURN_FILING: "退回合同备案",
    Move.COMPLETE: "申报完工",
    Move.APPLY_ACCEPTANCE: "申请验收",
    Move.DISTRICT_REVIEW_ACCEPTANCE: "初审验收申请",
    Move.SCHEDULE_ACCEPTANCE: "安排现场验收",
    Move.ACCEPT: "确认验收通过",
    Move.FAIL_ACCEPTANCE: "确认验收未通过",
    Move.APPROVE_SUBSIDY: "核定奖补",
    Move.PAY_SUBSIDY: "拨付奖补",
    Move.WITHDRAW: "退出",
}

# Who may make each move at all (§4.2 "who moves it there"). The city enters applications on an
# enterprise's behalf; the diagnosis comes from a provider or the city's agency (the service
# checks which provider); the district official's first review may also decline an application.
MOVE_ACTORS: Final[dict[Move, tuple[str, ...]]] = {
    Move.APPLY: (ENTERPRISE, CITY_OFFICIAL),
    Move.DISTRICT_REVIEW_APPLICATION: (DISTRICT_OFFICIAL,),
    Move.ADMIT: (CITY_OFFICIAL,),
    Move.REJECT: (DISTRICT_OFFICIAL, CITY_OFFICIAL),
    Move.DIAGNOSE: (PROVIDER, CITY_OFFICIAL),
    Move.SELECT_PROVIDER: (ENTERPRISE,),
    Move.FILE_CONTRACT: (ENTERPRISE,),
    Move.APPROVE_FILING: (CITY_OFFICIAL,),
    Move.RETURN_FILING: (CITY_OFFICIAL,),
    Move.COMPLETE: (ENTERPRISE,),
    Move.APPLY_ACCEPTANCE: (ENTERPRISE,),
    Move.DISTRICT_REVIEW_ACCEPTANCE: (DISTRICT_OFFICIAL,),
    Move.SCHEDULE_ACCEPTANCE: (CITY_OFFICIAL,),
    Move.ACCEPT: (CITY_OFFICIAL,),
    Move.FAIL_ACCEPTANCE: (CITY_OFFICIAL,),
    Move.APPROVE_SUBSIDY: (CITY_OFFICIAL,),
    Move.PAY_SUBSIDY: (CITY_OFFICIAL,),
    Move.WITHDRAW: (ENTERPRISE, CITY_OFFICIAL),
}

# The stage a move makes the project reach (its date is recorded then).
MOVE_STAGE: Final[dict[Move, Stage]] = {
    Move.APPLY: Stage.APPLIED,
    Move.ADMIT: Stage.ADMITTED,
    Move.DIAGNOSE: Stage.DIAGNOSED,
    Move.SELECT_PROVIDER: Stage.PROVIDER_SELECTED,
    Move.APPROVE_FILING: Stage.CONTRACT_FILED,
    Move.COMPLETE: Stage.COMPLETED,
    Move.APPLY_ACCEPTANCE: Stage.ACCEPTANCE_APPLIED,
    Move.ACCEPT: Stage.ACCEPTED,
    Move.APPROVE_SUBSIDY: Stage.SUBSIDY_APPROVED,
    Move.PAY_SUBSIDY: Stage.SUBSIDY_PAID,
}

# The outcome date a move records. A date is recorded the first time only: a second acceptance
# application keeps `acceptance_applied_on`, a second failure keeps `acceptance_failed_on` (the
# move log has every attempt), so the dates always satisfy `date_errors`.
MOVE_OUTCOME: Final[dict[Move, str]] = {
    Move.REJECT: "rejected_on",
    Move.FAIL_ACCEPTANCE: "acceptance_failed_on",
    Move.WITHDRAW: "withdrawn_on",
}

# The stage a project must be at (its furthest stage) for each move; APPLY needs no project yet,
# WITHDRAW any stage before `accepted`.
_NEEDS: Final[dict[Move, Stage]] = {
    Move.DISTRICT_REVIEW_APPLICATION: Stage.APPLIED,
    Move.ADMIT: Stage.APPLIED,
    Move.REJECT: Stage.APPLIED,
    Move.DIAGNOSE: Stage.ADMITTED,
    Move.SELECT_PROVIDER: Stage.DIAGNOSED,
    Move.FILE_CONTRACT: Stage.PROVIDER_SELECTED,
    Move.APPROVE_FILING: Stage.PROVIDER_SELECTED,
    Move.RETURN_FILING: Stage.PROVIDER_SELECTED,
    Move.COMPLETE: Stage.CONTRACT_FILED,
    Move.DISTRICT_REVIEW_ACCEPTANCE: Stage.ACCEPTANCE_APPLIED,
    Move.SCHEDULE_ACCEPTANCE: Stage.ACCEPTANCE_APPLIED,
    Move.ACCEPT: Stage.ACCEPTANCE_APPLIED,
    Move.FAIL_ACCEPTANCE: Stage.ACCEPTANCE_APPLIED,
    Move.APPROVE_SUBSIDY: Stage.ACCEPTED,
    Move.PAY_SUBSIDY: Stage.SUBSIDY_APPROVED,
}

ACCEPTANCE_ATTEMPTS: Final = 2  # §4.2: after a failed acceptance "the project may apply again once"


@dataclass(frozen=True, slots=True)
class ProjectState:
    """What the stage table needs to know about a project (stage None: no project yet)."""

    stage: Stage | None = None  # the furthest stage reached
    rejected: bool = False
    withdrawn: bool = False
    application_reviewed: bool = False  # the district's first review of the application passed
    filing_submitted: bool = False  # a contract filing waits for the city
    filing_returned: bool = False  # the last filing was returned to the enterprise
    acceptance_attempts: int = 0  # acceptance applications made
    failed_attempts: int = 0  # acceptance attempts that failed
    acceptance_reviewed: bool = False  # the district reviewed the open acceptance application
    acceptance_scheduled: bool = False  # the city scheduled the open acceptance application
    max_acceptance_attempts: int = ACCEPTANCE_ATTEMPTS

    @property
    def acceptance_open(self) -> bool:
        """An acceptance application waits for its outcome."""
        return (
            self.stage is Stage.ACCEPTANCE_APPLIED
            and self.acceptance_attempts > self.failed_attempts
        )


def _position(stage: Stage) -> int:
    return STAGES.index(stage)


def _stage_reason(state_stage: Stage, needed: Stage, label: str) -> str | None:
    here, there = _position(state_stage), _position(needed)
    if here < there:
        return f"项目尚未{_NOT_YET[STAGES[here + 1]]}，不能{label}"
    if here > there:
        return f"项目已处于「{STAGE_LABELS[state_stage]}」环节，不能再{label}"
    return None


def check_move(state: ProjectState, move: Move, actor: str) -> str | None:
    """None when `actor` may make `move` on a project in `state`, else the Chinese reason.

    The actor is checked first, so a role that may never make a move learns nothing about the
    project's state. Scope (which enterprise, district, provider) is the service's question.
    """
    move = Move(move)
    label = MOVE_LABELS[move]
    allowed = MOVE_ACTORS[move]
    if actor not in allowed:
        return f"只有{'或'.join(ACTOR_LABELS[a] for a in allowed)}可以{label}"
    if move is Move.APPLY:
        if state.stage is not None:
            return "该企业本期试点已申报改造项目，不能重复申报"
        return None
    if state.stage is None:
        return f"项目尚未申报，不能{label}"
    if state.withdrawn:
        return f"项目已退出，不能{label}"
    if state.rejected:
        return f"项目未入库，不能{label}"
    if move is Move.WITHDRAW:
        if _position(state.stage) >= _position(Stage.ACCEPTED):
            return "项目已验收通过，不能退出"
        return None
    if move is Move.APPLY_ACCEPTANCE:
        return _apply_acceptance_reason(state, label)
    reason = _stage_reason(state.stage, _NEEDS[move], label)
    if reason is not None:
        return reason
    return _detail_reason(state, move, actor, label)


def _apply_acceptance_reason(state: ProjectState, label: str) -> str | None:
    assert state.stage is not None
    if state.stage is Stage.COMPLETED:
        return None
    if state.stage is not Stage.ACCEPTANCE_APPLIED:
        return _stage_reason(state.stage, Stage.COMPLETED, label)
    if state.acceptance_open:
        return "验收申请正在办理中，不能重复申请验收"
    if state.acceptance_attempts >= state.max_acceptance_attempts:
        return f"项目已{state.failed_attempts}次验收未通过，不能再申请验收"
    return None


def _detail_reason(state: ProjectState, move: Move, actor: str, label: str) -> str | None:
    """The reasons within a stage: reviews, filings, acceptance attempts."""
    if move is Move.DISTRICT_REVIEW_APPLICATION and state.application_reviewed:
        return "区县已完成入库申请初审，不能重复初审"
    if move is Move.ADMIT and not state.application_reviewed:
        return "区县尚未完成入库申请初审，不能入库"
    if move is Move.REJECT and actor == DISTRICT_OFFICIAL and state.application_reviewed:
        return "区县已完成初审，是否入库由城市管理员决定"
    if move is Move.FILE_CONTRACT and state.filing_submitted:
        return "合同备案正在等待审核，不能重复提交"
    if move in (Move.APPROVE_FILING, Move.RETURN_FILING) and not state.filing_submitted:
        if state.filing_returned:
            return f"合同备案已退回，等待企业重新提交，不能{label}"
        return f"企业尚未提交合同备案，不能{label}"
    if move in (
        Move.DISTRICT_REVIEW_ACCEPTANCE,
        Move.SCHEDULE_ACCEPTANCE,
        Move.ACCEPT,
        Move.FAIL_ACCEPTANCE,
    ):
        if not state.acceptance_open:
            return f"没有待办理的验收申请，不能{label}"
        if move is Move.DISTRICT_REVIEW_ACCEPTANCE and state.acceptance_reviewed:
            return "区县已完成验收申请初审，不能重复初审"
        if move is not Move.DISTRICT_REVIEW_ACCEPTANCE and not state.acceptance_reviewed:
            return f"区县尚未完成验收申请初审，不能{label}"
        if move is Move.SCHEDULE_ACCEPTANCE and state.acceptance_scheduled:
            return "现场验收已安排，不能重复安排"
        if move in (Move.ACCEPT, Move.FAIL_ACCEPTANCE) and not state.acceptance_scheduled:
            return f"尚未安排现场验收，不能{label}"
    return None


def allowed_moves(state: ProjectState, actor: str) -> list[Move]:
    """The moves `actor` may make now, in table order (the buttons a page shows)."""
    return [m for m in Move if check_move(state, m, actor) is None]


def after_move(state: ProjectState, move: Move) -> ProjectState:
    """The state `move` leads to. The caller has asked `check_move` first; this does not."""
    move = Move(move)
    if move is Move.DISTRICT_REVIEW_APPLICATION:
        return replace(state, application_reviewed=True)
    if move is Move.REJECT:
        return replace(state, rejected=True)
    if move is Move.WITHDRAW:
        return replace(state, withdrawn=True)
    if move is Move.FILE_CONTRACT:
        return replace(state, filing_submitted=True, filing_returned=False)
    if move is Move.RETURN_FILING:
        return replace(state, filing_submitted=False, filing_returned=True)
    if move is Move.APPROVE_FILING:
        return replace(state, stage=Stage.CONTRACT_FILED, filing_submitted=False)
    if move is Move.APPLY_ACCEPTANCE:
        return replace(
            state,
            stage=Stage.ACCEPTANCE_APPLIED,
            acceptance_attempts=state.acceptance_attempts + 1,
            acceptance_reviewed=False,
            acceptance_scheduled=False,
        )
    if move is Move.DISTRICT_REVIEW_ACCEPTANCE:
        return replace(state, acceptance_reviewed=True)
    if move is Move.SCHEDULE_ACCEPTANCE:
        return replace(state, acceptance_scheduled=True)
    if move is Move.FAIL_ACCEPTANCE:
        return replace(state, failed_attempts=state.failed_attempts + 1)
    return replace(state, stage=MOVE_STAGE[move])


# --- Documents of each stage (§4.2, 一企一档) ---------------------------------------------------

# Document types, as `projects.choices.DocType` values (a test keeps the two in step).
DOC_DIAGNOSIS_REPORT: Final = "diagnosis_report"
DOC_CONTRACT: Final = "contract"
DOC_INVOICE: Final = "invoice"
DOC_PAYMENT_PROOF: Final = "payment_proof"
DOC_SUMMARY: Final = "summary"
DOC_ACCEPTANCE_RECORD: Final = "acceptance_record"

# What a project must hold once it has reached a stage: the 一企一档 checklist.
REQUIRED_DOCUMENTS: Final[dict[Stage, tuple[str, ...]]] = {
    Stage.DIAGNOSED: (DOC_DIAGNOSIS_REPORT,),
    Stage.CONTRACT_FILED: (DOC_CONTRACT,),
    Stage.ACCEPTANCE_APPLIED: (DOC_INVOICE, DOC_PAYMENT_PROOF, DOC_SUMMARY),
    Stage.ACCEPTED: (DOC_ACCEPTANCE_RECORD,),
}


def missing_documents(
    reached_stages: Iterable[Stage], present_doc_types: Iterable[str]
) -> list[tuple[Stage, str]]:
    """The required (stage, document type) pairs of the reached stages that no document of the
    project answers, in pipeline order. A document counts whatever stage it was filed under."""
    reached_set = {Stage(s) for s in reached_stages}
    present = set(present_doc_types)
    return [
        (stage, doc_type)
        for stage in STAGES
        if stage in reached_set
        for doc_type in REQUIRED_DOCUMENTS.get(stage, ())
        if doc_type not in present
    ]
