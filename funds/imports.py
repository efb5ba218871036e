"""The `funds` import kind (domain §4.6): a city's ledger entries, one row per entry.

Registered with the shared import framework of `cities.imports` from FundsConfig.ready(). Keyed
by city and reference (凭证号); all or nothing like every kind. A booked entry is never changed:
a row whose reference is already booked with the same content is unchanged (so importing a file
twice changes nothing), one with different content is an error asking for a reversing entry.

The rules of the ledger apply across the file as they would entry by entry, in date order (rows
of the same day in file order), on top of what the city has booked: central receipts never
above the award cap, central other uses never above their share of the central receipts on any
day. The checks run under a lock on the cities' rows, inside the import's transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.utils import timezone

from cities.imports import registry
from cities.imports.columns import CellError, Column, KindSpec, choice, iso_date, labels, text
from cities.imports.plans import OTHER_CITY, Context, Plan, attnames, fetch_by
from cities.imports.results import ParsedRow, quote
from cities.models import PilotCity
from sme_pilot.inputs import as_of_earliest, parse_number

from . import rules
from .choices import Category, EntryKind, Source
from .models import MONEY_DIGITS, REFERENCE_MAX_LENGTH, LedgerEntry
from .services import EntryData, position_errors

FUNDS: Final = "funds"


def amount(value: str) -> Decimal:
    try:
        number = parse_number(value, field="金额", max_digits=MONEY_DIGITS, decimal_places=2)
    except ValidationError as exc:
        message = exc.message_dict["金额"][0].removeprefix("金额：")
        raise CellError(f"{quote(value)}无效：{message}") from None
    problem = rules.amount_error(number)
    if problem:
        raise CellError(f"{quote(value)}无效：{problem}")
    return number.quantize(rules.CENTS)


SPEC: Final = KindSpec(
    kind=FUNDS,
    label="资金台账",
    key=("city_code", "reference"),
    columns=(
        Column(
            "city_code",
            "城市代码",
            text(20),
            own_city=True,
            help="记账的试点城市代码",
            example="HHHT",
        ),
        Column(
            "entry_on",
            "日期",
            iso_date,
            help="到账或支出日期，格式 YYYY-MM-DD",
            example="2025-03-01",
        ),
        Column(
            "kind",
            "收支类型",
            choice(EntryKind),
            help="收入（资金到位）或支出",
            example="收入",
            options=labels(EntryKind),
        ),
        Column(
            "source",
            "资金来源",
            choice(Source),
            help="中央（中央财政奖补资金）或地方（地方配套资金）",
            example="中央",
            options=labels(Source),
        ),
        Column(
            "category",
            "支出类别",
            choice(Category),
            blank=True,
            empty="",
            help="仅支出填写：数字化改造、平台及服务能力、链式转型、购买支撑服务；收入留空。"
            "已拨付的企业奖补由系统按改造项目自动计入数字化改造支出，不要重复录入",
            example="",
            options=tuple(str(c.label) for c in Category if c.value),
        ),
        Column(
            "amount",
            "金额（元）",
            amount,
            help="大于 0，单位元，最多两位小数；冲正不用负数，请在资金台账页面录入冲正分录",
            example="30000000",
        ),
        Column(
            "reference",
            "凭证号",
            text(REFERENCE_MAX_LENGTH),
            help="本市唯一的凭证号；已入账的凭证号再次导入时内容必须相同",
            example="ZY-2025-001",
        ),
    ),
)

_COMPARED: Final = ("entry_on", "kind", "source", "category", "amount")
BOOKED_DIFFERENT: Final = "凭证号{}已入账，内容与本行不同：已入账的分录不能修改，请录入冲正分录"


def _lock(city_ids: list[int]) -> dict[int, PilotCity]:
    """The cities' rows, locked in id order until the import's transaction ends."""
    found = (
        PilotCity.objects.select_for_update()
        .select_related("batch")
        .filter(pk__in=sorted(set(city_ids)))
        .order_by("pk")
    )
    return {c.pk: c for c in found}


def _position(entries: list[dict[str, Any]]) -> tuple[Decimal, list[rules.Movement]]:
    """A city's central receipts (every date) and its central movements, from its entries."""
    received = rules.ZERO
    movements: list[rules.Movement] = []
    for e in entries:
        if e["source"] != Source.CENTRAL or e["category"] == Category.TRANSFORMATION:
            continue
        signed = -e["amount"] if e["reverses_id"] is not None else e["amount"]
        if e["kind"] == EntryKind.RECEIPT:
            received += signed
            movements.append(rules.Movement(e["entry_on"], received=signed))
        else:
            movements.append(rules.Movement(e["entry_on"], other=signed))
    return received, movements


def plan_funds(rows: list[ParsedRow], ctx: Context) -> Plan:
    own = ctx.scope.city_code
    in_scope: list[ParsedRow] = []
    for row in rows:
        code = row.values.get("city_code")
        if own is not None and code is not None and code != own:
            ctx.error(row, "city_code", OTHER_CITY)
        else:
            in_scope.append(row)
    codes = {row.values["city_code"] for row in in_scope if row.has("city_code")}
    ids = {
        r["code"]: r["id"] for r in fetch_by(PilotCity.objects.all(), "code", codes, ["id", "code"])
    }
    cities = _lock(list(ids.values()))
    saved: dict[int, list[dict[str, Any]]] = {city_id: [] for city_id in cities}
    for r in fetch_by(LedgerEntry.objects.all(), "city_id", cities, attnames(LedgerEntry)):
        saved[r["city_id"]].append(r)
    by_reference = {(r["city_id"], r["reference"]): r for rs in saved.values() for r in rs}
    today = timezone.localdate()
    earliest = as_of_earliest()
    plan = Plan(LedgerEntry, update_fields=())
    new_rows: list[tuple[ParsedRow, int, dict[str, Any]]] = []
    for row in in_scope:
        v = row.values
        errors_before = len(ctx.errors)
        city_id = ids.get(v["city_code"]) if row.has("city_code") else None
        if city_id is None and row.has("city_code"):
            ctx.error(row, "city_code", f"试点城市{quote(v['city_code'])}不存在")
        if row.has("kind") and row.has("category"):
            problem = rules.category_error(v["kind"], v["category"])
            if problem:
                ctx.error(row, "category", problem)
        if row.has("entry_on"):
            day: dt.date = v["entry_on"]
            if day > today:
                ctx.error(row, "entry_on", f"日期不能晚于今天（{today.isoformat()}）")
            elif day < earliest:
                ctx.error(row, "entry_on", f"日期不能早于 {earliest.isoformat()}")
        # Duplicate keys within the file are the framework's error (the row is then invalid).
        if city_id is None or not row.valid or len(ctx.errors) > errors_before:
            continue
        new = {name: v[name] for name in _COMPARED}
        current = by_reference.get((city_id, v["reference"]))
        if current is not None:
            if current["reverses_id"] is None and all(
                current[name] == new[name] for name in _COMPARED
            ):
                plan.unchanged += 1
            else:
                ctx.error(row, "reference", BOOKED_DIFFERENT.format(quote(v["reference"])))
            continue
        new.update(
            city_id=city_id,
            reference=v["reference"],
            note="",
            reverses_id=None,
            created_by_id=ctx.actor_id,
        )
        new_rows.append((row, city_id, new))
    # The cap and the other-uses limit, city by city, the file's rows in date order.
    position = {city_id: _position(entries) for city_id, entries in saved.items()}
    for row, city_id, new in sorted(new_rows, key=lambda t: (t[2]["entry_on"], t[0].number)):
        received, movements = position[city_id]
        data = EntryData(
            new["entry_on"], new["kind"], new["source"], new["category"], new["amount"], ""
        )
        errors = position_errors(
            data, city=cities[city_id], central_received=received, movements=movements
        )
        if errors:
            ctx.error(row, "amount", errors["amount"])
            continue
        more, added = _position([new])
        movements.extend(added)
        position[city_id] = (received + more, movements)
        plan.add(new, None)
    return plan


def register() -> None:
    registry.register(SPEC, plan_funds, city_officials=True)
