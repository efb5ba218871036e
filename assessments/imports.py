"""The `levels` import kind: digital-transformation levels assessed on a city's platform.

Declared here, with the assessments it writes, and registered with the shared import framework
of `cities.imports` from AssessmentsConfig.ready(). City officials import their own city's
levels; an on-site level is imported as confirmed, a self-assessed one as submitted.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from django.utils import timezone

from cities.imports import registry
from cities.imports.columns import CellError, Column, KindSpec, choice, iso_date, labels, uscc
from cities.imports.plans import Context, Plan, attnames, fetch_by
from cities.imports.results import ParsedRow, quote
from cities.models import Enterprise

from .models import LEVEL_NAMES, Assessment, Method, Purpose, Source, State
from .services import refresh_current_level

LEVELS: Final = "levels"

_LEVEL_BY_NAME: Final = {name: level for level, name in LEVEL_NAMES.items()}
LEVEL_OPTIONS: Final = tuple(LEVEL_NAMES[n] for n in sorted(LEVEL_NAMES))


def level(value: str) -> int:
    if value in _LEVEL_BY_NAME:
        return _LEVEL_BY_NAME[value]
    if re.fullmatch(r"[0-4]", value):
        return int(value)
    raise CellError(f"等级{quote(value)}无效，可选：{'、'.join(LEVEL_OPTIONS)}（也可填 0 到 4）")


_SCORE_STEP: Final = Decimal("0.001")


def score(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise CellError(f"总分{quote(value)}不是数字") from None
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        raise CellError(f"总分{quote(value)}超出范围：应在 0 到 100 之间")
    if number != number.quantize(_SCORE_STEP):
        raise CellError(f"总分{quote(value)}最多保留三位小数")
    return number.quantize(_SCORE_STEP)


SPEC: Final = KindSpec(
    kind=LEVELS,
    label="数字化水平等级",
    key=("uscc", "assessed_on", "purpose", "method"),
    columns=(
        Column(
            "uscc",
            "统一社会信用代码",
            uscc,
            help="已登记企业的统一社会信用代码",
            example="9144030071526726XG",
        ),
        Column("assessed_on", "评定日期", iso_date, help="格式 YYYY-MM-DD", example="2025-03-01"),
        Column(
            "purpose",
            "评测目的",
            choice(Purpose),
            help="评测的目的",
            example=Purpose.BASELINE.label,
            options=labels(Purpose),
        ),
        Column(
            "method",
            "评定方式",
            choice(Method),
            help="现场评定视为已确认",
            example=Method.ONSITE.label,
            options=labels(Method),
        ),
        Column(
            "level",
            "数字化水平等级",
            level,
            help="评定的等级",
            example=LEVEL_NAMES[2],
            options=LEVEL_OPTIONS,
        ),
        Column(
            "total_score",
            "总分",
            score,
            required=False,
            blank=True,
            help="0 到 100，最多三位小数",
            example="62.5",
        ),
    ),
)


def plan_levels(rows: list[ParsedRow], ctx: Context) -> Plan:
    """Imported levels are keyed by enterprise, date, purpose and method (docs/rules.md §3.2)."""
    enterprises_qs = Enterprise.objects.all()
    if ctx.scope.city_id is not None:
        # Another city's enterprise is answered exactly like one that does not exist.
        enterprises_qs = enterprises_qs.filter(city_id=ctx.scope.city_id)
    enterprises = {
        r["uscc"]: r["id"]
        for r in fetch_by(
            enterprises_qs,
            "uscc",
            (r.values["uscc"] for r in rows if r.has("uscc")),
            ["id", "uscc"],
        )
    }
    existing = {
        (r["enterprise_id"], r["assessed_on"], r["purpose"], r["method"]): r
        for r in fetch_by(
            Assessment.objects.filter(source=Source.IMPORT),
            "enterprise_id",
            enterprises.values(),
            attnames(Assessment),
        )
    }
    with_score = "total_score" in ctx.header.positions
    plan = Plan(
        Assessment,
        update_fields=("level", "state", "confirmed_at", *(("total_score",) if with_score else ())),
    )
    today = timezone.localdate(ctx.now)
    for row in rows:
        v = row.values
        enterprise_id = enterprises.get(v["uscc"]) if row.has("uscc") else None
        if enterprise_id is None and row.has("uscc"):
            ctx.error(row, "uscc", f"企业{quote(v['uscc'])}不存在")
        future = row.has("assessed_on") and v["assessed_on"] > today
        if future:
            ctx.error(row, "assessed_on", f"评定日期不能晚于今天（{today.isoformat()}）")
        if enterprise_id is None or future or not row.valid:
            continue
        # Imported on-site levels come from a city platform where an assessor confirmed them.
        state = State.CONFIRMED if v["method"] == Method.ONSITE else State.SUBMITTED
        key = (enterprise_id, v["assessed_on"], v["purpose"], v["method"])
        current = existing.get(key)
        new: dict[str, Any] = {"level": v["level"], "state": state.value}
        if with_score:
            new["total_score"] = v["total_score"]
        if current is None or current["state"] != state:
            new["confirmed_at"] = ctx.now if state == State.CONFIRMED else None
        else:
            new["confirmed_at"] = current["confirmed_at"]
        if current is None:
            new.update(
                enterprise_id=enterprise_id,
                assessed_on=v["assessed_on"],
                purpose=v["purpose"],
                method=v["method"],
                source=Source.IMPORT.value,
                created_by_id=ctx.actor_id,
            )
        plan.add(new, current)

    def refresh() -> None:
        # A written confirmed (on-site) level may be the enterprise's current one now, or no
        # longer be; a self-assessed one never counts.
        changed = [
            row["enterprise_id"]
            for row in (*plan.creates, *plan.updates)
            if row["method"] == Method.ONSITE
        ]
        refresh_current_level(changed)

    plan.then = refresh
    return plan


def register() -> None:
    registry.register(SPEC, plan_levels, city_officials=True, streams=True)
