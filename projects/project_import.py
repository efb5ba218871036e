"""The `projects` import kind (docs/rules.md §4.6): a city's project history from its spreadsheets.

Declared here, with the projects it writes, and registered with the shared import framework of
`cities.imports` from ProjectsConfig.ready(). One row per enterprise (key `uscc`): its project's
dates, provider, contract, investment per category, rating and approved subsidy. Every row is
checked against the pure rules (`rules.date_errors`, `rules.entitlement`) and the database (the
enterprise in the importer's city, the provider, the after-level of §4.3, the city's subsidy
policy), with a fixed number of bulk queries per chunk of rows (settings.IMPORT_CHUNK_ROWS: the
kind streams), never one per row, all made before the chunk's first row is checked.

The framework writes one model per kind (`Plan`): the projects. Their investment lines and the
audit events ("批量导入") are written by `_FollowUp`, the plan's `then`, which the framework calls
right after writing the projects, in the same transaction (never on a dry run). A chunk's rows
are planned in parts of PART_ROWS (`Plan.parts`): the framework writes each part while the next
one is checked, and undoes everything if a later row is invalid (a few queries per part).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils import timezone

from cities.imports import registry
from cities.imports.columns import CellError, Column, KindSpec, iso_date, text, uscc
from cities.imports.plans import Context, Plan, attnames, fetch_by, key_chunks, keys_in
from cities.imports.results import ParsedRow, quote
from cities.models import Enterprise, PilotCity
from providers.models import LibraryEntry, Provider
from sme_pilot.inputs import parse_number

from . import rules
from .models import (
    MONEY_DIGITS,
    SATISFACTION_MAX,
    SATISFACTION_MIN,
    InvestmentLine,
    Project,
    ProjectEvent,
    SubsidyRule,
)
from .selectors.after_levels import after_level, after_levels

PROJECTS: Final = "projects"
CHANGE_REASON: Final = "批量导入"

CATEGORIES: Final = tuple(c.value for c in rules.Category)
DATE_FIELDS: Final = (*rules.STAGE_FIELDS, *rules.OUTCOME_FIELDS)
# The project's own columns, as written (the key, enterprise_id, is not updated).
PROJECT_FIELDS: Final = (
    "provider_id",
    "contract_no",
    "contract_amount",
    "planned_completion_on",
    *DATE_FIELDS,
    "satisfaction",
    "subsidy_central",
    "subsidy_local",
)
# Rows per part of the plan (`Plan.parts`): the database writes one part while the next is
# checked; the last part's writing is what is left to wait for once every row is checked.
PART_ROWS: Final = 5000
CONTRACT_FIELDS: Final = ("contract_no", "contract_amount", "planned_completion_on")
_COPIED_FIELDS: Final = (*DATE_FIELDS, *CONTRACT_FIELDS)  # a project's columns taken as parsed


# Plain amounts ("1234", "1234.5", "1234.56") that `parse_number` accepts as they are: read
# directly. Anything else (signs, spaces, more digits or decimals) goes the whole way.
_PLAIN_MONEY: Final = re.compile(rf"[0-9]{{1,{MONEY_DIGITS - 2}}}(?:\.[0-9]{{1,2}})?\Z")


def money(value: str) -> Decimal:
    """Yuan, at most 2 decimals, never negative (read through `sme_pilot.inputs`)."""
    if _PLAIN_MONEY.match(value):
        return Decimal(value).quantize(rules.CENT)
    if value.lstrip().startswith("-"):
        raise CellError(f"金额{quote(value)}不能为负数")
    try:
        number = parse_number(value, field="金额", max_digits=MONEY_DIGITS, decimal_places=2)
    except ValidationError:
        raise CellError(
            f"金额{quote(value)}无效：应为不小于 0 的数字（元），最多两位小数"
        ) from None
    return number.quantize(rules.CENT)


def satisfaction(value: str) -> int:
    if not re.fullmatch(r"[0-9]", value) or not SATISFACTION_MIN <= int(value) <= SATISFACTION_MAX:
        raise CellError(
            f"满意度{quote(value)}无效：应为 {SATISFACTION_MIN} 到 {SATISFACTION_MAX} 的整数"
        )
    return int(value)


def _date_column(name: str, *, blank: bool = True) -> Column:
    label = rules.DATE_LABELS[name]
    return Column(
        name,
        label,
        iso_date,
        blank=blank,
        help=f"{label}，格式 YYYY-MM-DD" + ("" if blank else "（必填）"),
        example="2025-03-01",
    )


def _money_column(name: str, label: str, help_text: str) -> Column:
    return Column(name, label, money, blank=True, help=help_text, example="100000.00")


SPEC: Final = KindSpec(
    kind=PROJECTS,
    label="改造项目",
    key=("uscc",),
    columns=(
        Column(
            "uscc",
            "统一社会信用代码",
            uscc,
            help="本市已登记企业的统一社会信用代码（每家企业一个项目）",
            example="9144030071526726XG",
        ),
        Column(
            "provider_uscc",
            "服务商代码",
            uscc,
            blank=True,
            help="服务商的统一社会信用代码；填写了选定服务商日期时必填",
            example="91440300MA5F1234XY",
        ),
        Column(
            "contract_no",
            "合同编号",
            text(50),
            blank=True,
            help="合同备案时必填",
            example="HT-2025-001",
        ),
        _money_column("contract_amount", "合同金额（元）", "合同备案时必填；不小于各类投资之和"),
        _date_column("planned_completion_on"),
        *(
            _money_column(
                c.value,
                f"{rules.CATEGORY_LABELS[c]}（元）",
                f"{rules.CATEGORY_LABELS[c]}投资金额"
                + ("（计入奖补）" if c in rules.ELIGIBLE else "（不计入奖补）"),
            )
            for c in rules.Category
        ),
        _date_column("applied_on", blank=False),
        *(_date_column(name) for name in DATE_FIELDS if name != "applied_on"),
        Column(
            "satisfaction",
            "满意度",
            satisfaction,
            blank=True,
            help="企业对服务商的评价，1 到 5；仅验收通过的项目填写",
            example="5",
        ),
        _money_column("subsidy_central", "中央奖补（元）", "核定的中央资金奖补；核定奖补时必填"),
        _money_column("subsidy_local", "地方奖补（元）", "核定的地方资金奖补；核定奖补时必填"),
    ),
)


# --- what the database knows, fetched once per file ----------------------------------------


Policies = tuple[dict[int, int], dict[int, list[rules.SubsidyTerms]]]


def _policies(city_ids: Iterable[int]) -> Policies:
    """Each city's pilot-batch minimum level and its subsidy rules."""
    ids = sorted(set(city_ids))
    min_levels = dict(PilotCity.objects.filter(id__in=ids).values_list("id", "batch__min_level"))
    terms: dict[int, list[rules.SubsidyTerms]] = {city_id: [] for city_id in ids}
    for rule in SubsidyRule.objects.filter(city_id__in=ids):
        terms[rule.city_id].append(rule.terms())
    return min_levels, terms


# --- the follow-up rows: investment lines and events ---------------------------------------


@dataclass
class _FollowUp:
    """What the planner decided beyond the project rows, written once they are (`Plan.then`)."""

    now: dt.datetime
    actor_id: int | None
    lines: dict[int, dict[str, Decimal]]  # enterprise id -> category -> amount (changed ones)
    events: dict[int, str]  # enterprise id -> furthest stage, for every written project
    replaced: list[int]  # ids of existing projects whose lines are replaced (new ones have none)
    # The part's rows (`Plan.creates`, `Plan.updates`): an update has its id, a create has one
    # once written on PostgreSQL; only the others are looked up (one query at most).
    written: tuple[list[dict[str, Any]], ...] = ()

    def __call__(self) -> None:
        touched = set(self.lines) | set(self.events)
        project_ids = {
            row["enterprise_id"]: row["id"]
            for rows in self.written
            for row in rows
            if row.get("id") is not None
        }
        missing = touched - project_ids.keys()
        if missing:
            project_ids.update(
                (r["enterprise_id"], r["id"])
                for r in fetch_by(
                    Project.objects.all(), "enterprise_id", missing, ["id", "enterprise_id"]
                )
            )
        for chunk in key_chunks(self.replaced):
            InvestmentLine.objects.filter(keys_in("project_id", chunk)).delete()
        _insert(
            InvestmentLine,
            ("project_id", "category", "amount"),
            [
                (project_ids[e], category, amount)
                for e, amounts in self.lines.items()
                for category, amount in amounts.items()
            ],
        )
        _insert(
            ProjectEvent,
            ("project_id", "move", "stage", "actor_id", "at", "comment"),
            [
                (
                    project_ids[e],
                    ProjectEvent.IMPORT_MOVE,
                    stage,
                    self.actor_id,
                    self.now,
                    CHANGE_REASON,
                )
                for e, stage in self.events.items()
            ],
        )


def _insert(
    model: type[models.Model], fields: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Insert rows (no signals, no history: these models keep none): COPY on PostgreSQL, as
    the framework writes the projects themselves; the ORM's bulk_create elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=2000
        )
        return
    qn = connection.ops.quote_name
    by_attname = {f.attname: str(f.column) for f in model._meta.concrete_fields}
    columns = ", ".join(qn(by_attname[name]) for name in fields)
    sql = f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN"
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(sql) as copy,  # type: ignore[attr-defined]
    ):
        for row in rows:
            copy.write_row(row)


# --- the planner ---------------------------------------------------------------------------


def _amounts(row: ParsedRow) -> dict[str, Decimal]:
    return {c: row.values[c] for c in CATEGORIES if row.values.get(c) is not None}


def plan_projects(rows: list[ParsedRow], ctx: Context) -> Plan:
    enterprises_qs = Enterprise.objects.all()
    if ctx.scope.city_id is not None:
        # Another city's enterprise is answered exactly like one that does not exist.
        enterprises_qs = enterprises_qs.filter(city_id=ctx.scope.city_id)
    enterprises = {
        r["uscc"]: r
        for r in fetch_by(
            enterprises_qs,
            "uscc",
            (r.values["uscc"] for r in rows if r.has("uscc")),
            ["id", "uscc", "city_id"],
        )
    }
    enterprise_ids = [e["id"] for e in enterprises.values()]
    existing = {
        r["enterprise_id"]: r
        for r in fetch_by(Project.objects.all(), "enterprise_id", enterprise_ids, attnames(Project))
    }
    existing_lines: dict[int, dict[str, Decimal]] = {}
    by_project = {p["id"]: e for e, p in existing.items()}
    for r in fetch_by(
        InvestmentLine.objects.all(),
        "project_id",
        by_project,
        ["project_id", "category", "amount"],
    ):
        existing_lines.setdefault(by_project[r["project_id"]], {})[r["category"]] = r["amount"]
    # A provider must be in the library of the enterprise's city, in any status (an import
    # records history; pages and the API let an enterprise pick only an active one).
    provider_usccs = {r.values["provider_uscc"] for r in rows if r.has("provider_uscc")}
    provider_ids = {
        r["uscc"]: r["id"]
        for r in fetch_by(Provider.objects.all(), "uscc", provider_usccs, ["id", "uscc"])
    }
    providers = {
        (r["provider_id"], r["city_id"]): provider_ids[r["provider_id"]]
        for r in fetch_by(
            LibraryEntry.objects.all(), "provider_id", provider_ids, ["provider_id", "city_id"]
        )
    }
    accepted_usccs = {r.values["uscc"] for r in rows if r.has("uscc", "accepted_on")}
    levels = after_levels(e["id"] for u, e in enterprises.items() if u in accepted_usccs)
    min_levels, policies = _policies(e["city_id"] for e in enterprises.values())

    today = timezone.localdate(ctx.now)

    def part(rows: list[ParsedRow]) -> Plan:
        """The plan of some of the rows (no query: everything was looked up above)."""
        plan = Plan(Project, update_fields=PROJECT_FIELDS)
        lines_to_write: dict[int, dict[str, Decimal]] = {}
        events: dict[int, str] = {}
        replaced: list[int] = []
        for row in rows:
            errors_before = len(ctx.errors)
            enterprise = enterprises.get(row.values["uscc"]) if row.has("uscc") else None
            if enterprise is None and row.has("uscc"):
                where = "不存在" if ctx.scope.city_id is None else "不是本市已登记的企业"
                ctx.error(row, "uscc", f"企业{quote(row.values['uscc'])}{where}")
            provider_id = _check_row(
                row, ctx, enterprise, providers, levels, min_levels, policies, today
            )
            if enterprise is None or not row.valid or len(ctx.errors) > errors_before:
                continue
            v = row.values
            new: dict[str, Any] = {name: v.get(name) for name in _COPIED_FIELDS}
            new.update(
                enterprise_id=enterprise["id"],
                provider_id=provider_id,
                contract_no=v.get("contract_no") or "",
                satisfaction=v.get("satisfaction"),
                subsidy_central=v.get("subsidy_central"),
                subsidy_local=v.get("subsidy_local"),
            )
            current = existing.get(enterprise["id"])
            amounts = _amounts(row)
            lines_changed = amounts != existing_lines.get(enterprise["id"], {})
            before = len(plan.updates) + len(plan.creates)
            if current is not None and lines_changed:
                plan.updates.append({**current, **new})  # the lines changed: the project did too
            else:
                plan.add(new, current)
            if len(plan.updates) + len(plan.creates) > before:
                if lines_changed:
                    lines_to_write[enterprise["id"]] = amounts
                    if current is not None:
                        replaced.append(current["id"])
                events[enterprise["id"]] = furthest_stage(v, today)
        plan.then = _FollowUp(
            now=ctx.now,
            actor_id=ctx.actor_id,
            lines=lines_to_write,
            events=events,
            replaced=replaced,
            written=(plan.creates, plan.updates),
        )
        return plan

    return Plan(
        Project,
        update_fields=PROJECT_FIELDS,
        parts=(part(rows[start : start + PART_ROWS]) for start in range(0, len(rows), PART_ROWS)),
    )


# The stage dates from the last stage to the first, with each stage's value.
_STAGES_LAST_FIRST: Final = tuple((rules.date_field(s), s.value) for s in reversed(rules.STAGES))


def furthest_stage(values: dict[str, Any], today: dt.date) -> str:
    """`rules.furthest_stage` of a row's parsed dates as of `today`, as its value ("" before the
    application): the last stage whose date is on or before `today`. Read straight from the
    cells (the event of every imported project needs it)."""
    for name, stage in _STAGES_LAST_FIRST:
        day = values.get(name)
        if day is not None and day <= today:
            return stage
    return ""


_DATE_KEYS: Final = frozenset(rules.DATE_FIELDS)  # every date of `rules.Dates`
_CATEGORY_KEYS: Final = frozenset(CATEGORIES)


def _dates(values: dict[str, Any]) -> rules.Dates:
    return rules.Dates(*map(values.get, rules.DATE_FIELDS))  # the fields in their order


def _check_row(
    row: ParsedRow,
    ctx: Context,
    enterprise: dict[str, Any] | None,
    providers: dict[tuple[str, int], int],  # (provider USCC, city id) of a library entry -> id
    levels: dict[int, list[dict[str, Any]]],
    min_levels: dict[int, int],
    policies: dict[int, list[rules.SubsidyTerms]],
    today: dt.date,
) -> int | None:
    """Report every rule the row breaks; return its provider's id (None: none or unknown)."""
    v = row.values
    dates_parsed = v.keys() >= _DATE_KEYS
    if dates_parsed:
        dates = _dates(v)
        for name, message in [*rules.date_errors(dates), *rules.future_date_errors(dates, today)]:
            ctx.error(row, name, message)

    provider_id: int | None = None
    if row.has("provider_uscc"):
        city_id = enterprise["city_id"] if enterprise is not None else None
        provider_id = providers.get((v["provider_uscc"], city_id)) if city_id else None
        if provider_id is None and enterprise is not None:
            ctx.error(row, "provider_uscc", f"服务商{quote(v['provider_uscc'])}不在本市服务商库中")
    elif row.has("provider_selected_on") and "provider_uscc" in v:
        ctx.error(row, "provider_uscc", "填写了选定服务商日期，必须填写服务商代码")

    if row.has("contract_filed_on"):
        for name in CONTRACT_FIELDS:
            if name in v and v[name] is None:
                label = SPEC.column(name).label
                ctx.error(row, name, f"填写了合同备案日期，必须填写{label}")

    amounts = _amounts(row)
    if amounts and v.keys() >= _CATEGORY_KEYS:
        total = sum(amounts.values(), Decimal(0))
        if row.has("contract_amount") and total > v["contract_amount"]:
            ctx.error(
                row,
                "contract_amount",
                f"各类投资合计 {total:.2f} 元，超过合同金额 {v['contract_amount']:.2f} 元",
            )
        elif "contract_amount" in v and v["contract_amount"] is None:
            ctx.error(row, "contract_amount", "填写了投资金额，必须填写合同金额")

    if row.has("satisfaction") and "accepted_on" in v and v["accepted_on"] is None:
        ctx.error(row, "satisfaction", "满意度在验收通过时填写：该行没有验收通过日期")

    approved = "subsidy_approved_on" in v and v["subsidy_approved_on"] is not None
    for name in ("subsidy_central", "subsidy_local"):
        if name not in v or "subsidy_approved_on" not in v:
            continue
        if approved and v[name] is None:
            ctx.error(row, name, f"填写了奖补核定日期，必须填写{SPEC.column(name).label}")
        elif not approved and v[name] is not None:
            ctx.error(row, name, "奖补金额在核定奖补时填写：该行没有奖补核定日期")

    if enterprise is None or not dates_parsed or not row.has("accepted_on", "completed_on"):
        return provider_id
    terms = policies.get(enterprise["city_id"], [])
    completed_on, accepted_on = v["completed_on"], v["accepted_on"]
    rule = rules.rule_for(terms, completed_on)
    min_level = rule.min_level if rule is not None else min_levels[enterprise["city_id"]]
    level = after_level(levels.get(enterprise["id"], []), completed_on, accepted_on)
    if level is None:
        ctx.error(
            row,
            "accepted_on",
            f"验收通过须有完工（{completed_on.isoformat()}）至验收通过（{accepted_on.isoformat()}）"
            "之间经确认的现场改造后评测：请先导入该企业的数字化水平等级",
        )
    elif level < min_level:
        ctx.error(row, "accepted_on", f"改造后等级为 {level} 级，低于验收要求的 {min_level} 级")
    if approved and row.has("subsidy_central", "subsidy_local") and level is not None:
        granted = v["subsidy_central"] + v["subsidy_local"]
        if v.keys() >= _CATEGORY_KEYS:
            eligible = rules.eligible_investment(amounts.items())
            limit = rules.entitlement(
                terms, completed_on=completed_on, after_level=level, eligible=eligible
            )
            if granted > limit:
                ctx.error(
                    row,
                    "subsidy_central",
                    f"核定奖补合计 {granted:.2f} 元（中央＋地方），超过应享奖补 {limit:.2f} 元",
                )
    return provider_id


def register() -> None:
    registry.register(SPEC, plan_projects, city_officials=True, streams=True)
