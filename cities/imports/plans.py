"""Resolve parsed rows against the database and decide, per row, create / update / unchanged.

The shared helpers (Plan, Context, Scope, `fetch_by`) and the planners of cities' own kinds;
other apps' planners use the same helpers (e.g. `assessments.imports.plan_levels`).

Reads only, in a fixed number of bulk queries per kind (on PostgreSQL one query per look-up, the
keys in one array; elsewhere keys are fetched in chunks, so the count grows by one query per few
thousand rows at most), never one per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from django.db import connection, models
from django.db.models import F, Lookup, Q

from cities.models import District, Enterprise, PilotBatch, PilotCity, Province, SubIndustry

from .columns import HeaderMap
from .results import ErrorLog, ParsedRow, RowError, quote

OTHER_CITY: Final = "不能导入其他城市的数据"
# The same words whether the code is registered in another city or cannot be registered for
# any other reason: a city official learns nothing about other cities' enterprises from it.
USCC_NOT_REGISTRABLE: Final = (
    "该统一社会信用代码不能登记到本市：请核对代码；如确属本市企业，请联系系统管理员"
)


@dataclass(frozen=True)
class Scope:
    """Whose data may be written: every city (`city_id` None) or one city."""

    city_id: int | None = None
    city_code: str | None = None


@dataclass(frozen=True)
class Notice:
    """A line of the import's report, worded before the import writes and after."""

    before: str  # "将新建区县：…" (a dry run, a validation)
    after: str  # "已新建区县：…"


@dataclass
class Plan:
    """Rows to write, as column values keyed by attname (`city_id`, not `city`).

    `then`, when a kind needs it, writes what hangs off those rows (another model's rows, an
    audit trail): the framework calls it right after writing the plan, in the same transaction,
    and never on a dry run or when the file has errors.
    """

    model: type[models.Model]
    update_fields: tuple[str, ...]
    # New rows. Once written on PostgreSQL each carries its new primary key too, so `then` can
    # refer to the rows without looking them up again (elsewhere it has to).
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)  # full rows incl. the pk
    unchanged: int = 0
    then: Callable[[], None] | None = None
    # What the import also creates besides its rows, for the report ("将新建区县：…").
    notices: list[Notice] = field(default_factory=list)
    # Called by the writer (in the import's transaction) before the rows are written, to create
    # what they refer to and fill in its ids (e.g. the districts an enterprises import names).
    before_write: Callable[[Plan], None] | None = None
    # A planner of many rows may return its rows in parts instead (`parts`: Plans with their own
    # rows, counts and `then`, produced as the loop over the rows goes on; this plan's own rows
    # stay empty). The framework writes each part, in the import's transaction, while the next
    # one is being planned, and undoes them all if any row turns out to be invalid. So producing
    # a part must not touch the database: every look-up is made before the first part.
    parts: Iterator[Plan] | None = None

    def add(self, new: dict[str, Any], existing: dict[str, Any] | None) -> None:
        if existing is None:
            self.creates.append(new)
        elif any(existing[name] != new[name] for name in self.update_fields if name in new):
            self.updates.append({**existing, **new})
        else:
            self.unchanged += 1


@dataclass(frozen=True)
class Context:
    header: HeaderMap
    scope: Scope
    actor_id: int | None
    now: dt.datetime
    errors: ErrorLog
    # What a streaming kind's planner carries from one chunk of rows to the next (the file's
    # new districts, say): the planner's own, keyed by its own names.
    memo: dict[str, Any] = field(default_factory=dict)

    def error(self, row: ParsedRow, column: str, message: str) -> None:
        self.errors.append(RowError(row.number, self.header.title(column), message))


def attnames(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def chunk_size() -> int:
    # SQLite allows 999 parameters per statement in Django's accounting; PostgreSQL has no
    # such limit, but a few thousand keys per statement keeps each one reasonable.
    limit = connection.features.max_query_params
    return min(limit - 10, 5000) if limit else 5000


class _AnyOf(Lookup):  # type: ignore[type-arg]
    """`<column> = ANY(%s)`: every key in one array parameter (PostgreSQL).

    Used directly as a filter expression, never registered: a `__in` of thousands of keys costs
    a placeholder, a preparation and a parse each, and the keys come in chunks.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        cast, value = array_literal(self.rhs)
        return f"{lhs} = ANY(%s{cast})", (*params, value)


def array_literal(keys: list[Any]) -> tuple[str, Any]:
    """Integer or text keys as one PostgreSQL array literal and its cast ("::bigint[]"); other
    keys as they are, for psycopg to adapt. The literal is the same array, written in C-speed
    string joins instead of psycopg's element-by-element dumping of a Python list."""
    if all(type(k) is int for k in keys):
        return "::bigint[]", "{" + ",".join(map(str, keys)) + "}"
    if all(type(k) is str for k in keys):
        quoted = (k.replace("\\", "\\\\").replace('"', '\\"') for k in keys)
        return "::text[]", '{"' + '","'.join(quoted) + '"}'
    return "", keys


def key_chunks(keys: Iterable[Any]) -> Iterator[list[Any]]:
    """The distinct keys, sorted, in as many chunks as one statement may take: one on PostgreSQL
    (see `keys_in`), a few thousand keys each elsewhere. Nothing for no keys."""
    ordered = sorted(set(keys))
    size = len(ordered) if connection.vendor == "postgresql" else chunk_size()
    for start in range(0, len(ordered), size or 1):
        yield ordered[start : start + size]


def keys_in(lookup: str, keys: list[Any]) -> Q | _AnyOf:
    """A filter for rows whose `lookup` is one of `keys` (a chunk of `key_chunks`)."""
    if connection.vendor == "postgresql":
        return _AnyOf(F(lookup), keys)
    return Q(**{f"{lookup}__in": keys})


def fetch_by(
    queryset: models.QuerySet[Any], lookup: str, keys: Iterable[Any], fields: list[str]
) -> Iterator[dict[str, Any]]:
    """`queryset.filter(<lookup>__in=keys).values(*fields)`: on PostgreSQL one query with the
    keys as an array, elsewhere a chunk of keys per query."""
    for chunk in key_chunks(keys):
        yield from queryset.filter(keys_in(lookup, chunk)).values(*fields)


def _cities_by_code(rows: list[ParsedRow], column: str) -> dict[str, int]:
    codes = {row.values[column] for row in rows if row.has(column)}
    return {
        r["code"]: r["id"] for r in fetch_by(PilotCity.objects.all(), "code", codes, ["id", "code"])
    }


def _in_scope(ctx: Context, row: ParsedRow, column: str) -> bool:
    """False (and an error) for a city official's row naming another city; a row whose city
    cell did not parse stays in, so that its other references are checked."""
    code = row.values.get(column)
    if ctx.scope.city_code is not None and code is not None and code != ctx.scope.city_code:
        ctx.error(row, column, OTHER_CITY)
        return False
    return True


def plan_cities(rows: list[ParsedRow], ctx: Context) -> Plan:
    provinces: dict[str, int] = {}
    for p in Province.objects.values("id", "name", "short_name"):
        provinces[p["name"]] = provinces[p["short_name"]] = p["id"]
    batches = dict(PilotBatch.objects.values_list("year", "id"))
    existing = {
        r["code"]: r
        for r in fetch_by(
            PilotCity.objects.all(),
            "code",
            (r.values["code"] for r in rows if r.has("code")),
            attnames(PilotCity),
        )
    }
    plan = Plan(
        PilotCity,
        update_fields=("name", "province_id", "batch_id", "city_type", "plan_approved_on"),
    )
    for row in rows:
        v = row.values
        province_id = provinces.get(v["province"]) if row.has("province") else None
        batch_id = batches.get(v["batch_year"]) if row.has("batch_year") else None
        if province_id is None and row.has("province"):
            ctx.error(row, "province", f"省份{quote(v['province'])}不存在：请填写省份全称或简称")
        if batch_id is None and row.has("batch_year"):
            years = "、".join(str(y) for y in sorted(batches))
            ctx.error(
                row, "batch_year", f"试点批次{quote(v['batch_year'])}不存在，现有批次：{years}"
            )
        if province_id is None or batch_id is None or not row.valid:
            continue
        new = {
            "code": v["code"],
            "name": v["name"],
            "province_id": province_id,
            "batch_id": batch_id,
            "city_type": v["city_type"],
            "plan_approved_on": v["plan_approved_on"],
        }
        plan.add(new, existing.get(v["code"]))
    return plan


def _city_id(ctx: Context, row: ParsedRow, cities: dict[str, int]) -> int | None:
    """The row's city, or None (with an error if the code parsed but names no city)."""
    if not row.has("city_code"):
        return None
    city_id = cities.get(row.values["city_code"])
    if city_id is None:
        ctx.error(row, "city_code", f"试点城市{quote(row.values['city_code'])}不存在")
    return city_id


def plan_sub_industries(rows: list[ParsedRow], ctx: Context) -> Plan:
    rows = [row for row in rows if _in_scope(ctx, row, "city_code")]
    cities = _cities_by_code(rows, "city_code")
    existing = {
        (r["city_id"], r["code"]): r
        for r in fetch_by(
            SubIndustry.objects.all(), "city_id", cities.values(), attnames(SubIndustry)
        )
    }
    plan = Plan(SubIndustry, update_fields=("name",))
    for row in rows:
        v = row.values
        city_id = _city_id(ctx, row, cities)
        if city_id is None or not row.valid:
            continue
        new = {"city_id": city_id, "code": v["code"], "name": v["name"]}
        plan.add(new, existing.get((city_id, v["code"])))
    return plan


def plan_districts(rows: list[ParsedRow], ctx: Context) -> Plan:
    """Upsert by (city, code). A row whose code is new but whose name is a district the city
    already has (one an enterprises import created as D001…) gives that district its code.
    A name may be used once per city, by this file and the database together."""
    rows = [row for row in rows if _in_scope(ctx, row, "city_code")]
    cities = _cities_by_code(rows, "city_code")
    existing = {
        (r["city_id"], r["code"]): r
        for r in fetch_by(District.objects.all(), "city_id", cities.values(), attnames(District))
    }
    # Names held after the import: the database's, minus those the file renames, plus the file's.
    codes_in_file = {
        (cities[r.values["city_code"]], r.values["code"])
        for r in rows
        if r.has("city_code") and r.has("code") and r.values["city_code"] in cities
    }
    kept = {
        (city_id, r["name"]): r
        for (city_id, code), r in existing.items()
        if (city_id, code) not in codes_in_file
    }
    named_in_file: dict[tuple[int, str], int] = {}
    plan = Plan(District, update_fields=("code", "name"))
    for row in rows:
        v = row.values
        city_id = _city_id(ctx, row, cities)
        if city_id is None or not row.has("code") or not row.has("name"):
            continue
        key = (city_id, v["name"])
        current = existing.get((city_id, v["code"]))
        if key in kept and current is None:
            current = kept[key]  # the same district, given its code
        elif key in kept:
            ctx.error(
                row,
                "name",
                f"本市已有名为{quote(v['name'])}的区县（代码 {quote(kept[key]['code'])}）",
            )
            continue
        first = named_in_file.setdefault(key, row.number)
        if first != row.number:
            ctx.error(row, "name", f"区县名称{quote(v['name'])}与第 {first} 行重复")
            continue
        if not row.valid:
            continue
        new = {"city_id": city_id, "code": v["code"], "name": v["name"]}
        plan.add(new, current)
    return plan


@dataclass(frozen=True)
class SubIndustries:
    """A set of cities' sub-industries, found by code or, failing that, by name."""

    by_code: dict[tuple[int, str], int]
    by_name: dict[tuple[int, str], list[tuple[str, int]]]  # (code, id) of each with that name

    @classmethod
    def of_cities(cls, city_ids: Iterable[int]) -> SubIndustries:
        by_code: dict[tuple[int, str], int] = {}
        by_name: dict[tuple[int, str], list[tuple[str, int]]] = {}
        fields = ["id", "city_id", "code", "name"]
        for r in fetch_by(SubIndustry.objects.order_by("code"), "city_id", city_ids, fields):
            by_code[(r["city_id"], r["code"])] = r["id"]
            by_name.setdefault((r["city_id"], r["name"]), []).append((r["code"], r["id"]))
        return cls(by_code, by_name)

    def find(self, city_id: int, value: str) -> tuple[int | None, list[str]]:
        """The id of the city's sub-industry whose code, or else whose name, is `value`; and,
        when the name is ambiguous, the codes of every sub-industry with that name."""
        found = self.by_code.get((city_id, value))
        if found is not None:
            return found, []
        named = self.by_name.get((city_id, value), [])
        if len(named) == 1:
            return named[0][1], []
        return None, sorted(code for code, _ in named)


class NewDistrict:
    """A district an enterprises row names that its city does not have yet: the row's
    `district_id` until the import creates it (never on a dry run or a validation)."""

    __slots__ = ("city_id", "name")

    def __init__(self, city_id: int, name: str) -> None:
        self.city_id, self.name = city_id, name


def _next_codes(taken: set[str]) -> Iterator[str]:
    """D001, D002… skipping the codes a city already has."""
    number = 0
    while True:
        number += 1
        code = f"D{number:03d}"
        if code not in taken:
            yield code


def _create_districts(plan: Plan) -> None:
    pending: dict[tuple[int, str], NewDistrict] = {}
    for values in (*plan.creates, *plan.updates):
        value = values.get("district_id")
        if isinstance(value, NewDistrict):
            pending.setdefault((value.city_id, value.name), value)
    ids: dict[tuple[int, str], int] = {}
    for city_id in sorted({c for c, _ in pending}):
        taken = set(District.objects.filter(city_id=city_id).values_list("code", flat=True))
        codes = _next_codes(taken)
        for key in sorted(k for k in pending if k[0] == city_id):
            ids[key] = District.objects.create(city_id=city_id, code=next(codes), name=key[1]).pk
    for values in (*plan.creates, *plan.updates):
        value = values.get("district_id")
        if isinstance(value, NewDistrict):
            values["district_id"] = ids[(value.city_id, value.name)]


NOTICE_NAMES_CHARS: Final = 120


def new_districts_notice(names: list[str]) -> Notice:
    """ "将新建区县：新城区、回民区", shortened with a count when the list is long."""
    shown: list[str] = []
    length = 0
    for name in names:
        if length + len(name) > NOTICE_NAMES_CHARS and shown:
            break
        shown.append(name)
        length += len(name) + 1
    listed = "、".join(shown)
    if len(shown) < len(names):
        listed += f" 等 {len(names)} 个"
    return Notice(before=f"将新建区县：{listed}", after=f"已新建区县：{listed}")


def plan_enterprises(rows: list[ParsedRow], ctx: Context) -> Plan:
    rows = [row for row in rows if _in_scope(ctx, row, "city_code")]
    cities = _cities_by_code(rows, "city_code")
    sub_industries = SubIndustries.of_cities(cities.values())
    existing = {
        r["uscc"]: r
        for r in fetch_by(
            Enterprise.objects.all(),
            "uscc",
            (r.values["uscc"] for r in rows if r.has("uscc")),
            attnames(Enterprise),
        )
    }
    districts = {
        (r["city_id"], r["name"]): r["id"]
        for r in fetch_by(
            District.objects.all(), "city_id", cities.values(), ["id", "city_id", "name"]
        )
    }
    new_districts: dict[tuple[int, str], NewDistrict] = {}
    fields = ("name", "above_scale", "quality_tier", "size_class")
    plan = Plan(
        Enterprise,
        update_fields=("city_id", "sub_industry_id", "district_id", *fields),
        before_write=_create_districts,
    )
    for row in rows:
        v = row.values
        city_id = _city_id(ctx, row, cities)
        sub_industry_id: int | None = None
        if city_id is not None and row.has("sub_industry_code"):
            sub_industry_id, same_name = sub_industries.find(city_id, v["sub_industry_code"])
            if same_name:
                codes = "、".join(quote(code) for code in same_name)
                ctx.error(
                    row,
                    "sub_industry_code",
                    f"城市{quote(v['city_code'])}有 {len(same_name)} 个名为"
                    f"{quote(v['sub_industry_code'])}的细分行业（代码 {codes}）："
                    "请改填细分行业代码",
                )
            elif sub_industry_id is None:
                ctx.error(
                    row,
                    "sub_industry_code",
                    f"城市{quote(v['city_code'])}没有细分行业{quote(v['sub_industry_code'])}",
                )
        current = existing.get(v["uscc"]) if row.has("uscc") else None
        if current is not None and ctx.scope.city_id not in (None, current["city_id"]):
            ctx.error(row, "uscc", USCC_NOT_REGISTRABLE)
            continue
        if city_id is None or sub_industry_id is None or not row.valid:
            continue
        district_id: int | NewDistrict | None = None
        if v["district"]:
            key = (city_id, v["district"])
            district_id = districts.get(key)
            if district_id is None:
                district_id = new_districts.setdefault(key, NewDistrict(*key))
        new = {
            "uscc": v["uscc"],
            "city_id": city_id,
            "sub_industry_id": sub_industry_id,
            "district_id": district_id,
        }
        new.update((name, v[name]) for name in fields)
        plan.add(new, current)
    # The file's new districts so far: this chunk's and the earlier chunks' (which, once
    # written, the look-up above found as existing).
    named: set[tuple[int, str]] = ctx.memo.setdefault("new_districts", set())
    named.update(new_districts)
    if named:
        plan.notices.append(new_districts_notice([name for _, name in sorted(named)]))
    return plan
