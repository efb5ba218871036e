"""Pure funds rules (domain §4.4): shares of the central money, the other-uses limit, the
transformation target, and the checks a new entry must pass. No Django here.

The ratios are data (`PilotBatch.funds_other_max_share`, `funds_transformation_min_share`: 0.20
and 0.80 by 财建〔2023〕117号) and come in as arguments. With 0.20 and 0.80 the two rules read as
the domain states them: `5 × other ≤ received` and `5 × transformation ≥ 4 × received`; the
comparisons are exact `Decimal` products, never a rounded share.

Amounts are yuan with two decimals. Money figures in messages are shown in 万元 with the yuan
amount beside them (`yuan_text`).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

SHARE_PLACES: Final = Decimal("0.0001")
CENTS: Final = Decimal("0.01")
ZERO: Final = Decimal("0.00")
WAN: Final = Decimal(10000)
# No single entry is larger than this (10 亿元): the largest award is 1.5 亿元, so a bigger
# figure is a typo (an amount in 分, a pasted account number), refused before it is booked.
MAX_ENTRY_AMOUNT: Final = Decimal("1000000000.00")


class Kind(enum.StrEnum):
    RECEIPT = "receipt"
    EXPENSE = "expense"


class Source(enum.StrEnum):
    CENTRAL = "central"
    LOCAL = "local"


class Category(enum.StrEnum):
    TRANSFORMATION = "transformation"
    PLATFORM = "platform"
    CHAIN = "chain"
    PROCURED_SERVICES = "procured_services"


KIND_LABELS: Final = {Kind.RECEIPT: "收入", Kind.EXPENSE: "支出"}
SOURCE_LABELS: Final = {Source.CENTRAL: "中央", Source.LOCAL: "地方"}
CATEGORY_LABELS: Final = {
    Category.TRANSFORMATION: "数字化改造",
    Category.PLATFORM: "平台及服务能力",
    Category.CHAIN: "链式转型",
    Category.PROCURED_SERVICES: "购买支撑服务",
}
# The ≤ 20% uses: everything but transformation.
OTHER_USES: Final = (Category.PLATFORM, Category.CHAIN, Category.PROCURED_SERVICES)


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    """`part / whole` to four decimals, half up; None when nothing was received."""
    if whole <= 0:
        return None
    return (part / whole).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


def within_other_limit(*, other: Decimal, received: Decimal, max_share: Decimal) -> bool:
    """Central other-uses spending is at most `max_share` of central receipts (0.20:
    `5 × other ≤ received`)."""
    return other <= max_share * received


def transformation_target_met(
    *, transformation: Decimal, received: Decimal, min_share: Decimal
) -> bool:
    """Central transformation spending reaches `min_share` of central receipts (0.80:
    `5 × transformation ≥ 4 × received`). Nothing received: not met (docs/rules.md, issue 14)."""
    if received <= 0:
        return False
    return transformation >= min_share * received


def yuan_text(amount: Decimal) -> str:
    """ "1,234.57 万元（12,345,678.00 元）": how messages show money."""
    wan = (amount / WAN).quantize(CENTS, rounding=ROUND_HALF_UP)
    return f"{wan:,} 万元（{amount.quantize(CENTS):,} 元）"


def percent_text(value: Decimal) -> str:
    return f"{(value * 100).quantize(CENTS, rounding=ROUND_HALF_UP).normalize():f}%"


@dataclass(frozen=True)
class Movement:
    """A change of the central position on one day: receipts and other-uses expenses (signed:
    a reversal is negative). Transformation expenses never move the limit."""

    day: dt.date
    received: Decimal = ZERO
    other: Decimal = ZERO


@dataclass(frozen=True)
class Breach:
    """The first day the other-uses limit would be broken, and the position that day."""

    day: dt.date
    other: Decimal
    received: Decimal
    max_share: Decimal

    @property
    def allowed(self) -> Decimal:
        return (self.max_share * self.received).quantize(CENTS, rounding=ROUND_HALF_UP)

    def message(self) -> str:
        return (
            f"超过中央资金其他用途上限：截至 {self.day.isoformat()}，中央资金到位 "
            f"{yuan_text(self.received)}，其他用途（平台及服务能力、链式转型、购买支撑服务）"
            f"支出将达 {yuan_text(self.other)}，上限为到位额的 {percent_text(self.max_share)}，"
            f"即 {yuan_text(self.allowed)}"
        )


def first_breach(movements: Iterable[Movement], *, max_share: Decimal) -> Breach | None:
    """Walk the central position day by day (every movement of a day counted together, so a
    receipt and an expense of the same day net out) and return the first end of day at which
    the other-uses limit is broken, or None. A ledger that passes holds the limit on every
    day, not only today: a back-dated expense cannot slip in before the money arrived."""
    by_day: dict[dt.date, tuple[Decimal, Decimal]] = {}
    for m in movements:
        received, other = by_day.get(m.day, (ZERO, ZERO))
        by_day[m.day] = (received + m.received, other + m.other)
    received_total, other_total = ZERO, ZERO
    for day in sorted(by_day):
        received, other = by_day[day]
        received_total += received
        other_total += other
        if not within_other_limit(other=other_total, received=received_total, max_share=max_share):
            return Breach(day, other_total, received_total, max_share)
    return None


def cap_message(*, received: Decimal, amount: Decimal, cap: Decimal) -> str | None:
    """Why a central receipt of `amount` cannot be booked on top of `received`, or None."""
    if received + amount <= cap:
        return None
    return (
        f"中央资金到位额不能超过奖补上限：已到位 {yuan_text(received)}，本笔 {yuan_text(amount)}，"
        f"合计 {yuan_text(received + amount)}，超过本市奖补上限 {yuan_text(cap)}"
    )


def category_error(kind: str, category: str) -> str | None:
    """An expense names one of the categories; a receipt names none."""
    if kind == Kind.RECEIPT and category:
        return "收入不填支出类别"
    if kind == Kind.EXPENSE and category not in set(Category):
        labels = "、".join(CATEGORY_LABELS.values())
        return f"支出必须填写支出类别（{labels}）"
    return None


def amount_error(amount: Decimal) -> str | None:
    """A booked amount is positive, in yuan with at most two decimals, and not absurdly large."""
    if not amount.is_finite():
        return "金额无效"
    if amount <= 0:
        return "金额必须大于 0（冲正请使用“冲正”，不要录入负数）"
    if amount != amount.quantize(CENTS):
        return "金额最多两位小数（单位：元）"
    if amount > MAX_ENTRY_AMOUNT:
        return f"金额过大：单笔不能超过 {yuan_text(MAX_ENTRY_AMOUNT)}，请核对单位是否为元"
    return None
