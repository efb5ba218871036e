"""The `subsidy_rules` import kind (domain §4.6): a city's subsidy policy, one row per rule.

Registered with the shared import framework of `cities.imports` from ProjectsConfig.ready().
Keyed by city and `valid_from`; all or nothing like every kind. A city's ranges may not overlap,
neither within the file nor with the rules the city already has: each overlap is an error on
the row, naming the other row (or the saved rule). The check runs under a lock on the cities'
rows (`services.subsidy_rules.lock_cities`), inside the import's transaction.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Final

from django.core.exceptions import ValidationError

from cities.imports import registry
from cities.imports.columns import CellError, Column, KindSpec, iso_date, max_length, text
from cities.imports.plans import OTHER_CITY, Context, Plan, attnames, fetch_by
from cities.imports.results import ParsedRow, quote
from cities.models import PilotCity
from sme_pilot.inputs import parse_number

from . import rules
from .models import MONEY_DIGITS, SubsidyRule
from .services.subsidy_rules import (
    SAVED_LABEL,
    Candidate,
    lock_cities,
    overlap_message,
    overlaps,
)

SUBSIDY_RULES: Final = "subsidy_rules"

_LEVEL_NAMES: Final = {"二级": 2, "三级": 3, "四级": 4}


def _number(value: str, *, label: str, places: int, digits: int, high: Decimal | None) -> Decimal:
    try:
        number = parse_number(
            value, field=label, max_digits=digits, min=0, max=high, decimal_places=places
        )
    except ValidationError as exc:
        message = exc.message_dict[label][0].removeprefix(f"{label}：")
        raise CellError(f"{quote(value)}无效：{message}") from None
    return number.quantize(Decimal(1).scaleb(-places))


def rate(value: str) -> Decimal:
    return _number(value, label="补助比例", places=4, digits=5, high=Decimal(1))


def amount(value: str) -> Decimal:
    return _number(value, label="封顶金额", places=2, digits=MONEY_DIGITS, high=None)


def min_level(value: str) -> int:
    if value in _LEVEL_NAMES:
        return _LEVEL_NAMES[value]
    if re.fullmatch(r"[2-4]", value):
        return int(value)
    raise CellError(f"最低等级{quote(value)}无效，可选：二级、三级、四级（也可填 2 到 4）")


_CAP_HELP: Final = "改造后等级为{}的项目奖补封顶金额，元，最多两位小数"

SPEC: Final = KindSpec(
    kind=SUBSIDY_RULES,
    label="奖补规则",
    key=("city_code", "valid_from"),
    columns=(
        Column(
            "city_code",
            "城市代码",
            text(max_length(PilotCity, "code")),
            own_city=True,
            help="奖补政策所属试点城市的代码",
            example="HHHT",
        ),
        Column(
            "valid_from",
            "适用完工日期起",
            iso_date,
            help="完工日期从此日起（含）的项目适用本规则，格式 YYYY-MM-DD",
            example="2025-01-01",
        ),
        Column(
            "valid_to",
            "适用完工日期止",
            iso_date,
            blank=True,
            help="完工日期到此日止（含）；留空表示长期有效",
            example="2025-12-31",
        ),
        Column(
            "rate",
            "补助比例",
            rate,
            help="0 到 1，最多四位小数；0.4 表示按符合条件投资的 40% 补助",
            example="0.4",
        ),
        Column(
            "cap_l2", "二级封顶金额（元）", amount, help=_CAP_HELP.format("二级"), example="300000"
        ),
        Column(
            "cap_l3", "三级封顶金额（元）", amount, help=_CAP_HELP.format("三级"), example="400000"
        ),
        Column(
            "cap_l4", "四级封顶金额（元）", amount, help=_CAP_HELP.format("四级"), example="500000"
        ),
        Column(
            "min_level",
            "最低等级",
            min_level,
            required=False,
            blank=True,
            empty=2,
            help="改造后等级低于此等级不予奖补；留空为二级",
            example="二级",
            options=tuple(_LEVEL_NAMES),
        ),
    ),
)


def _terms(v: dict[str, Any]) -> rules.SubsidyTerms:
    """The terms of a row's values or a saved rule's columns (the same names)."""
    return rules.SubsidyTerms(
        valid_from=v["valid_from"],
        valid_to=v["valid_to"],
        rate=v["rate"],
        caps={2: v["cap_l2"], 3: v["cap_l3"], 4: v["cap_l4"]},
        min_level=v["min_level"],
    )


def plan_subsidy_rules(rows: list[ParsedRow], ctx: Context) -> Plan:
    own = ctx.scope.city_code
    in_scope: list[ParsedRow] = []
    for row in rows:
        code = row.values.get("city_code")
        if own is not None and code is not None and code != own:
            ctx.error(row, "city_code", OTHER_CITY)
        else:
            in_scope.append(row)
    codes = {row.values["city_code"] for row in in_scope if row.has("city_code")}
    cities = {
        r["code"]: r["id"] for r in fetch_by(PilotCity.objects.all(), "code", codes, ["id", "code"])
    }
    # No other writer may change these cities' rules until the import's transaction ends.
    lock_cities(cities.values())
    saved = list(
        fetch_by(SubsidyRule.objects.all(), "city_id", cities.values(), attnames(SubsidyRule))
    )
    existing = {(r["city_id"], r["valid_from"]): r for r in saved}
    with_level = "min_level" in ctx.header.positions
    plan = Plan(
        SubsidyRule,
        update_fields=(
            "valid_to",
            "rate",
            "cap_l2",
            "cap_l3",
            "cap_l4",
            *(("min_level",) if with_level else ()),
        ),
    )
    # Per city, the rules as they would be after the import: the saved ones, replaced by the
    # file's rows with the same start.
    after: dict[int, dict[Any, tuple[Candidate, ParsedRow | None]]] = {}
    for r in saved:
        candidate = Candidate(SAVED_LABEL, _terms(r))
        after.setdefault(r["city_id"], {})[r["valid_from"]] = (candidate, None)
    for row in in_scope:
        v = row.values
        city_id = cities.get(v["city_code"]) if row.has("city_code") else None
        if city_id is None and row.has("city_code"):
            ctx.error(row, "city_code", f"试点城市{quote(v['city_code'])}不存在")
        backwards = (
            row.has("valid_from")
            and row.has("valid_to")
            and v["valid_to"] is not None
            and v["valid_to"] < v["valid_from"]
        )
        if backwards:
            ctx.error(
                row,
                "valid_to",
                f"适用完工日期止（{v['valid_to'].isoformat()}）不能早于"
                f"适用完工日期起（{v['valid_from'].isoformat()}）",
            )
        if city_id is None or backwards or not row.valid:
            continue
        current = existing.get((city_id, v["valid_from"]))
        new: dict[str, Any] = {
            "valid_to": v["valid_to"],
            "rate": v["rate"],
            "cap_l2": v["cap_l2"],
            "cap_l3": v["cap_l3"],
            "cap_l4": v["cap_l4"],
        }
        if with_level or current is None:
            new["min_level"] = v.get("min_level", 2)
        terms_values = {**(current or {}), **new, "valid_from": v["valid_from"]}
        candidate = Candidate(f"第 {row.number} 行", _terms(terms_values))
        after.setdefault(city_id, {})[v["valid_from"]] = (candidate, row)
        if current is None:
            new.update(city_id=city_id, valid_from=v["valid_from"], created_by_id=ctx.actor_id)
        plan.add(new, current)
    for by_start in after.values():
        rows_of = {id(c): row for c, row in by_start.values()}
        for first, second in overlaps([c for c, _ in by_start.values()]):
            # The error goes on the file's row that starts later (or the only file row).
            target, other = rows_of[id(second)], first
            if target is None:
                target, other = rows_of[id(first)], second
            if target is not None:
                ctx.error(target, "valid_from", overlap_message(other))
    return plan


def register() -> None:
    registry.register(SPEC, plan_subsidy_rules, city_officials=True)
