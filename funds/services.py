"""Writes to the funds ledger (domain §4.4): booking a receipt or an expense, reversing an entry,
setting the plan.

Each write locks the city's row first (`select_for_update`), so two expenses booked at once are
checked one after the other: the second sees the first and is refused if together they would
break the other-uses limit. The checks (`check_entry`) are the ones the `funds` import applies
row by row as well.

Booked entries are never changed: a correction is a reversing entry. Reversing a central receipt
is refused when the receipts left would no longer cover the other uses already booked (the
limit would be broken on some day); reverse some of those expenses first (docs/rules.md,
"Funds decisions").

Every write sends `funds.signals.funds_changed` inside its transaction (the dashboards' cache
follows it after commit; funds never imports the apps above it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts import policy
from accounts.models import User
from cities.models import PilotCity
from sme_pilot.errors import Conflict, Forbidden, Invalid
from sme_pilot.inputs import as_of_earliest

from . import rules, selectors
from .choices import EntryKind, PlanLine, Source
from .models import NOTE_MAX_LENGTH, REFERENCE_MAX_LENGTH, FundsPlan, LedgerEntry
from .signals import funds_changed


@dataclass(frozen=True)
class EntryData:
    """An entry to book, as typed (the category empty for a receipt)."""

    entry_on: dt.date
    kind: str
    source: str
    category: str
    amount: Decimal
    reference: str
    note: str = ""


def lock_city(city_id: int) -> PilotCity:
    """The city's row, locked until the transaction ends, with its batch (the policy data)."""
    return PilotCity.objects.select_for_update().select_related("batch").get(pk=city_id)


def _check_actor(actor: User | None, city: PilotCity) -> None:
    # None: the management command or an import job already checked by the import framework.
    if actor is not None and policy.funds_city_id(actor) != city.pk:
        raise Forbidden("只有本市的城市官员可以记账")


def basic_errors(data: EntryData, *, today: dt.date) -> dict[str, str]:
    """What is wrong with an entry on its own, field by field (no database)."""
    errors: dict[str, str] = {}
    if data.kind not in set(rules.Kind):
        errors["kind"] = "收支类型无效，可选：收入、支出"
    if data.source not in set(rules.Source):
        errors["source"] = "资金来源无效，可选：中央、地方"
    if "kind" not in errors:
        problem = rules.category_error(data.kind, data.category)
        if problem:
            errors["category"] = problem
    problem = rules.amount_error(data.amount)
    if problem:
        errors["amount"] = problem
    reference = data.reference.strip()
    if not reference:
        errors["reference"] = "请填写凭证号"
    elif len(reference) > REFERENCE_MAX_LENGTH:
        errors["reference"] = f"凭证号不能超过 {REFERENCE_MAX_LENGTH} 个字符"
    if len(data.note) > NOTE_MAX_LENGTH:
        errors["note"] = f"摘要不能超过 {NOTE_MAX_LENGTH} 个字符"
    if data.entry_on > today:
        errors["entry_on"] = f"日期不能晚于今天（{today.isoformat()}）"
    elif data.entry_on < as_of_earliest():
        errors["entry_on"] = f"日期不能早于 {as_of_earliest().isoformat()}"
    return errors


def position_errors(
    data: EntryData,
    *,
    city: PilotCity,
    central_received: Decimal,
    movements: Sequence[rules.Movement],
) -> dict[str, str]:
    """The award cap and the other-uses limit for one more entry on top of the city's central
    position (`central_received`: every date; `movements`: day by day). No database."""
    if data.source != Source.CENTRAL:
        return {}
    if data.kind == EntryKind.RECEIPT:
        problem = rules.cap_message(
            received=central_received, amount=data.amount, cap=city.award_cap
        )
        return {"amount": problem} if problem else {}
    if data.category in rules.OTHER_USES:
        breach = rules.first_breach(
            [*movements, rules.Movement(data.entry_on, other=data.amount)],
            max_share=city.batch.funds_other_max_share,
        )
        if breach is not None:
            return {"amount": breach.message()}
    return {}


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise Invalid("；".join(errors.values()))


@transaction.atomic
def book_entry(*, actor: User | None, city: PilotCity, data: EntryData) -> LedgerEntry:
    """Book one receipt or expense; refused (Invalid, nothing written) with the reason."""
    _check_actor(actor, city)
    _raise(basic_errors(data, today=timezone.localdate()))
    city = lock_city(city.pk)
    reference = data.reference.strip()
    if LedgerEntry.objects.filter(city=city, reference=reference).exists():
        raise Invalid(f"凭证号“{reference}”已入账：同一城市的凭证号不能重复")
    _raise(
        position_errors(
            data,
            city=city,
            central_received=selectors.central_received_total(city_id=city.pk),
            movements=selectors.central_movements(city_id=city.pk),
        )
    )
    entry = LedgerEntry.objects.create(
        city=city,
        entry_on=data.entry_on,
        kind=data.kind,
        source=data.source,
        category=data.category,
        amount=data.amount,
        reference=reference,
        note=data.note.strip(),
        created_by=actor,
    )
    funds_changed.send(sender=LedgerEntry, city_ids=[city.pk])
    return entry


def book_receipt(
    *,
    actor: User | None,
    city: PilotCity,
    entry_on: dt.date,
    source: str,
    amount: Decimal,
    reference: str,
    note: str = "",
) -> LedgerEntry:
    data = EntryData(entry_on, EntryKind.RECEIPT, source, "", amount, reference, note)
    return book_entry(actor=actor, city=city, data=data)


def book_expense(
    *,
    actor: User | None,
    city: PilotCity,
    entry_on: dt.date,
    source: str,
    category: str,
    amount: Decimal,
    reference: str,
    note: str = "",
) -> LedgerEntry:
    data = EntryData(entry_on, EntryKind.EXPENSE, source, category, amount, reference, note)
    return book_entry(actor=actor, city=city, data=data)


@transaction.atomic
def reverse_entry(
    *,
    actor: User | None,
    entry: LedgerEntry,
    entry_on: dt.date,
    reference: str,
    reason: str,
) -> LedgerEntry:
    """Book the reversal of `entry` (same kind, source, category and amount, counted negative)
    on `entry_on`, with a reason. An entry is reversed once; a reversal is not reversed."""
    _check_actor(actor, entry.city)
    city = lock_city(entry.city_id)
    entry = LedgerEntry.objects.select_related("reverses").get(pk=entry.pk)
    if entry.reverses_id is not None:
        raise Conflict("这是一笔冲正分录，不能再冲正")
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise Conflict(f"凭证号“{entry.reference}”的分录已冲正过，不能重复冲正")
    errors: dict[str, str] = {}
    reason = reason.strip()
    if not reason:
        errors["reason"] = "请填写冲正原因"
    elif len(reason) > NOTE_MAX_LENGTH:
        errors["reason"] = f"冲正原因不能超过 {NOTE_MAX_LENGTH} 个字符"
    # The reversal's own fields (date, reference) pass the checks of any entry; the reason is
    # its note, checked above.
    data = EntryData(entry_on, entry.kind, entry.source, entry.category, entry.amount, reference)
    errors.update(basic_errors(data, today=timezone.localdate()))
    if entry_on < entry.entry_on:
        errors["entry_on"] = f"冲正日期不能早于原分录日期（{entry.entry_on.isoformat()}）"
    _raise(errors)
    reference = reference.strip()
    if LedgerEntry.objects.filter(city=city, reference=reference).exists():
        raise Invalid(f"凭证号“{reference}”已入账：同一城市的凭证号不能重复")
    if entry.source == Source.CENTRAL and entry.kind == EntryKind.RECEIPT:
        breach = rules.first_breach(
            [
                *selectors.central_movements(city_id=city.pk),
                rules.Movement(entry_on, received=-entry.amount),
            ],
            max_share=city.batch.funds_other_max_share,
        )
        if breach is not None:
            raise Invalid(
                "冲正后其他用途支出将超过上限，请先冲正相应的其他用途支出：" + breach.message()
            )
    reversal = LedgerEntry.objects.create(
        city=city,
        entry_on=entry_on,
        kind=entry.kind,
        source=entry.source,
        category=entry.category,
        amount=entry.amount,
        reference=reference,
        note=reason,
        reverses=entry,
        created_by=actor,
    )
    funds_changed.send(sender=LedgerEntry, city_ids=[city.pk])
    return reversal


@transaction.atomic
def plan_set(
    *, actor: User | None, city: PilotCity, amounts: dict[tuple[str, str], Decimal | None]
) -> None:
    """Set the city's plan: the amount per (source, line); None removes a line."""
    _check_actor(actor, city)
    lock_city(city.pk)
    existing = {(p.source, p.line): p for p in FundsPlan.objects.filter(city=city)}
    for (source, line), amount in amounts.items():
        if source not in Source.values or line not in PlanLine.values:
            raise Invalid("资金使用计划的来源或项目无效")
        current = existing.get((source, line))
        if amount is None:
            if current is not None:
                current.delete()
            continue
        if amount < 0 or amount > rules.MAX_ENTRY_AMOUNT * 10:
            raise Invalid("计划金额无效")
        if current is None:
            FundsPlan.objects.create(
                city=city, source=source, line=line, amount=amount, updated_by=actor
            )
        elif current.amount != amount:
            current.amount = amount
            current.updated_by = actor
            current.save()
    funds_changed.send(sender=FundsPlan, city_ids=[city.pk])
