"""The `providers` import kind (domain §4.6): one row per provider per city library.

Registered with the shared import framework of `cities.imports` from ProvidersConfig.ready().
City officials import their own city's library, administrators any city's. The key is
`uscc` + `city_code`; rows are upserts of `LibraryEntry`, planned and written by the framework
(all or nothing, COPY on PostgreSQL, the entry's history).

What the framework's single-table plan cannot carry is the plan's `then`, which the framework
calls in the same transaction right after writing the plan (and only then: never on a dry run or
a file with errors):

- the providers the file names that the system does not know yet, and the new name or category
  of those it knows (an entry names its provider by USCC, so the entries can be written first:
  the foreign key is checked at commit);
- one `LibraryStatusChange` per new entry and per status the file changes, with the reason
  "批量导入" and the importing user.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final

from cities.imports import registry
from cities.imports.columns import Column, KindSpec, choice, labels, max_length, text, uscc
from cities.imports.plans import Context, Plan, attnames, fetch_by
from cities.imports.results import ParsedRow, quote
from cities.imports.service import CHANGE_REASON
from cities.models import PilotCity

from .choices import LibraryStatus, ProviderCategory
from .models import LibraryEntry, LibraryStatusChange, Provider

PROVIDERS: Final = "providers"
OTHER_CITY: Final = "不能导入其他城市的服务商库"

SPEC: Final = KindSpec(
    kind=PROVIDERS,
    label="服务商库",
    key=("uscc", "city_code"),
    columns=(
        Column(
            "uscc",
            "统一社会信用代码",
            uscc,
            help="服务商的 18 位统一社会信用代码",
            example="91110108551385082Q",
        ),
        Column(
            "name",
            "服务商名称",
            text(max_length(Provider, "name")),
            help="营业执照上的服务商名称",
            example="示例数字科技有限公司",
        ),
        Column(
            "category",
            "类别",
            choice(ProviderCategory),
            help="服务商类别",
            example=ProviderCategory.INTEGRATOR.label,
            options=labels(ProviderCategory),
        ),
        Column(
            "city_code",
            "入库城市",
            text(max_length(PilotCity, "code")),
            own_city=True,
            help="服务商所入服务商库的试点城市代码",
            example="HHHT",
        ),
        Column(
            "status",
            "状态",
            choice(LibraryStatus),
            help="服务商在该市服务商库中的状态",
            example=LibraryStatus.ACTIVE.label,
            options=labels(LibraryStatus),
        ),
    ),
)


@dataclass
class _FollowUp:
    """Writes left for after the plan (`Plan.then`)."""

    actor_id: int | None
    now: dt.datetime
    new_providers: list[Provider] = field(default_factory=list)
    changed_providers: list[Provider] = field(default_factory=list)
    # (uscc, city_id, from_status or "", to_status)
    status_changes: list[tuple[str, int, str, str]] = field(default_factory=list)

    def write(self) -> None:
        _write_follow_up(self)


def plan_providers(rows: list[ParsedRow], ctx: Context) -> Plan:
    in_scope: list[ParsedRow] = []
    for row in rows:
        code = row.values.get("city_code")
        if ctx.scope.city_code is not None and code is not None and code != ctx.scope.city_code:
            ctx.error(row, "city_code", OTHER_CITY)
        else:
            in_scope.append(row)
    codes = {r.values["city_code"] for r in in_scope if r.has("city_code")}
    cities = {
        r["code"]: r["id"] for r in fetch_by(PilotCity.objects.all(), "code", codes, ["id", "code"])
    }
    usccs = {r.values["uscc"] for r in in_scope if r.has("uscc")}
    providers = {
        p.uscc: p for p in Provider.objects.filter(uscc__in=sorted(usccs)).order_by("uscc")
    }
    existing = {
        (r["provider_id"], r["city_id"]): r
        for r in fetch_by(LibraryEntry.objects.all(), "provider_id", usccs, attnames(LibraryEntry))
    }
    pending = _FollowUp(actor_id=ctx.actor_id, now=ctx.now)
    # The provider's name and category as the file gives them, first row per USCC.
    profile: dict[str, tuple[int, str, str]] = {}
    plan = Plan(LibraryEntry, update_fields=("status", "status_changed_at"))
    for row in in_scope:
        v = row.values
        city_id: int | None = None
        if row.has("city_code"):
            city_id = cities.get(v["city_code"])
            if city_id is None:
                ctx.error(row, "city_code", f"试点城市{quote(v['city_code'])}不存在")
        if row.has("uscc") and row.has("name") and row.has("category"):
            first = profile.setdefault(v["uscc"], (row.number, v["name"], v["category"]))
            if first[0] != row.number:
                if first[1] != v["name"]:
                    ctx.error(
                        row, "name", f"与第 {first[0]} 行同一服务商的名称{quote(first[1])}不一致"
                    )
                if first[2] != v["category"]:
                    label = ProviderCategory(first[2]).label
                    ctx.error(row, "category", f"与第 {first[0]} 行同一服务商的类别“{label}”不一致")
        if city_id is None or not row.valid:
            continue
        current = existing.get((v["uscc"], city_id))
        new: dict[str, Any] = {"status": v["status"]}
        if current is None:
            new.update(
                provider_id=v["uscc"],
                city_id=city_id,
                status_changed_at=ctx.now,
            )
            pending.status_changes.append((v["uscc"], city_id, "", v["status"]))
        elif current["status"] != v["status"]:
            new["status_changed_at"] = ctx.now
            pending.status_changes.append((v["uscc"], city_id, current["status"], v["status"]))
        else:
            new["status_changed_at"] = current["status_changed_at"]
        plan.add(new, current)
    if not ctx.errors:
        for code, (_, name, category) in profile.items():
            known = providers.get(code)
            if known is None:
                pending.new_providers.append(Provider(uscc=code, name=name, category=category))
            elif (known.name, known.category) != (name, category):
                known.name, known.category = name, category
                pending.changed_providers.append(known)
        plan.then = pending.write
    return plan


def _write_follow_up(pending: _FollowUp) -> None:
    if pending.new_providers:
        Provider.objects.bulk_create(pending.new_providers)
    if pending.changed_providers:
        for provider in pending.changed_providers:
            provider.updated_at = pending.now
        Provider.objects.bulk_update(pending.changed_providers, ["name", "category", "updated_at"])
    if not pending.status_changes:
        return
    city_ids = {city_id for _, city_id, _, _ in pending.status_changes}
    usccs = {code for code, _, _, _ in pending.status_changes}
    entry_ids = {
        (r["provider_id"], r["city_id"]): r["id"]
        for r in fetch_by(
            LibraryEntry.objects.filter(city_id__in=city_ids),
            "provider_id",
            usccs,
            ["id", "provider_id", "city_id"],
        )
    }
    LibraryStatusChange.objects.bulk_create(
        [
            LibraryStatusChange(
                entry_id=entry_ids[(code, city_id)],
                from_status=from_status,
                to_status=to_status,
                reason=CHANGE_REASON,
                changed_by_id=pending.actor_id,
                changed_at=pending.now,
            )
            for code, city_id, from_status, to_status in pending.status_changes
        ],
        batch_size=1000,
    )


def register() -> None:
    registry.register(SPEC, plan_providers, city_officials=True)
