"""Synthetic national-scale pilot data, written as import files (docs/rules.md §3.2).

100 cities in the three batches (30 / 36 / 34) spread over every province and all four regions,
2-6 sub-industries each, and 100,000 enterprises with a realistic mix: ~55% above-scale; tiers
~70% none, 15% innovative, 12% provincial 专精特新, 3% little giants; sizes mixed. USCCs are valid
(check character computed). Deterministic for a given seed.

As a module: `generate(...)` returns the rows, `write_csvs(dataset, directory)` writes
`cities.csv`, `sub_industries.csv`, `enterprises.csv` (and `levels.csv` if generated).
As a script: `python -m bench.generate OUT_DIR [--enterprises N] [--levels]`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from cities import uscc

# (code, short name, region) of the 31 provincial-level divisions and the Corps; the roster
# names each by its full name (FULL_NAMES), as the registry shows it.
PROVINCES = [
    ("11", "北京", "east"),
    ("12", "天津", "east"),
    ("13", "河北", "east"),
    ("14", "山西", "central"),
    ("15", "内蒙古", "west"),
    ("21", "辽宁", "northeast"),
    ("22", "吉林", "northeast"),
    ("23", "黑龙江", "northeast"),
    ("31", "上海", "east"),
    ("32", "江苏", "east"),
    ("33", "浙江", "east"),
    ("34", "安徽", "central"),
    ("35", "福建", "east"),
    ("36", "江西", "central"),
    ("37", "山东", "east"),
    ("41", "河南", "central"),
    ("42", "湖北", "central"),
    ("43", "湖南", "central"),
    ("44", "广东", "east"),
    ("45", "广西", "west"),
    ("46", "海南", "east"),
    ("50", "重庆", "west"),
    ("51", "四川", "west"),
    ("52", "贵州", "west"),
    ("53", "云南", "west"),
    ("54", "西藏", "west"),
    ("61", "陕西", "west"),
    ("62", "甘肃", "west"),
    ("63", "青海", "west"),
    ("64", "宁夏", "west"),
    ("65", "新疆", "west"),
    ("66", "兵团", "west"),
]
FULL_NAMES = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "66": "新疆生产建设兵团",
}
MUNICIPALITIES = {"北京", "天津", "上海", "重庆"}
SEPARATELY_PLANNED = {"辽宁", "山东", "浙江", "福建", "广东"}  # 大连 青岛 宁波 厦门 深圳
BATCHES = ((2023, 30), (2024, 36), (2025, 34))

SUB_INDUSTRIES = [
    ("FOOD", "特色食品"),
    ("TEXTILE", "纺织服装"),
    ("PHARMA", "生物医药"),
    ("MATERIAL", "新材料"),
    ("METAL", "结构性金属制品"),
    ("AGRI_EQ", "农矿专用设备"),
    ("AUTO", "汽车零部件"),
    ("ELEC", "电子元器件"),
    ("MOLD", "模具"),
    ("FURNITURE", "家具制造"),
    ("CHEM", "精细化工"),
    ("MACHINE", "通用设备"),
    ("PLASTIC", "塑料制品"),
    ("HARDWARE", "五金制品"),
    ("INSTRUMENT", "仪器仪表"),
    ("BUILD", "建材"),
    ("PAPER", "造纸和纸制品"),
    ("LIGHT", "照明器具"),
]
TIERS = (("none", 70), ("innovative", 15), ("provincial_srdi", 12), ("little_giant", 3))
SIZES = (("medium", 15), ("small", 50), ("micro", 35))
WORDS = list("华盛鑫恒泰达兴隆昌源创新科智联宏德益嘉瑞丰远成信")

HEADERS = {
    "cities": ["code", "name", "province", "batch_year", "city_type", "plan_approved_on"],
    "sub_industries": ["city_code", "code", "name"],
    "enterprises": [
        "uscc",
        "name",
        "city_code",
        "sub_industry_code",
        "district",
        "above_scale",
        "quality_tier",
        "size_class",
    ],
    "levels": ["uscc", "assessed_on", "purpose", "method", "level", "total_score"],
}


@dataclass
class Dataset:
    cities: list[dict[str, Any]] = field(default_factory=list)
    sub_industries: list[dict[str, Any]] = field(default_factory=list)
    enterprises: list[dict[str, Any]] = field(default_factory=list)
    levels: list[dict[str, Any]] = field(default_factory=list)

    def rows(self, kind: str) -> list[dict[str, Any]]:
        return list(getattr(self, kind))


def make_uscc(province_code: str, n: int) -> str:
    """A valid, unique USCC: 91 + a region code in the province + n in base 31."""
    body = ""
    for _ in range(9):
        body = uscc.ALPHABET[n % 31] + body
        n //= 31
    first17 = f"91{province_code}0100{body}"
    return first17 + uscc.check_character(first17)


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def generate(
    *, cities: int = 100, enterprises: int = 100_000, levels: bool = False, seed: int = 2026
) -> Dataset:
    rng = random.Random(seed)
    data = Dataset()
    batch_years = [year for year, count in BATCHES for _ in range(count)]
    batch_years = (batch_years * (cities // len(batch_years) + 1))[:cities]
    capitals_done: set[str] = set()
    city_province: dict[str, str] = {}
    for i in range(cities):
        code, province, _ = PROVINCES[i % len(PROVINCES)]
        year = batch_years[i]
        if province == "兵团":
            city_type = "corps"
        elif province in MUNICIPALITIES:
            city_type = "municipal_district"
        elif province not in capitals_done:
            city_type = "provincial_capital"
            capitals_done.add(province)
        elif province in SEPARATELY_PLANNED and i < 2 * len(PROVINCES):
            city_type = "separately_planned"
        else:
            city_type = "prefecture"
        city_code = f"C{i + 1:03d}"
        city_province[city_code] = code
        approved = dt.date(year, rng.randint(3, 12), rng.randint(1, 28))
        data.cities.append(
            {
                "code": city_code,
                "name": f"{province}试点{i + 1}市"
                if city_type != "municipal_district"
                else f"{province}试点{i + 1}区",
                "province": FULL_NAMES[code],
                "batch_year": year,
                "city_type": city_type,
                "plan_approved_on": approved.isoformat(),
            }
        )
        for sub_code, sub_name in rng.sample(SUB_INDUSTRIES, rng.randint(2, 6)):
            data.sub_industries.append({"city_code": city_code, "code": sub_code, "name": sub_name})

    subs_by_city: dict[str, list[str]] = {}
    for sub in data.sub_industries:
        subs_by_city.setdefault(sub["city_code"], []).append(sub["code"])
    city_codes = [c["code"] for c in data.cities]
    city_weights = [rng.uniform(0.3, 2.0) for _ in city_codes]  # cities differ in size
    for n in range(enterprises):
        city_code = rng.choices(city_codes, weights=city_weights)[0]
        name = "".join(rng.sample(WORDS, 2))
        data.enterprises.append(
            {
                "uscc": make_uscc(city_province[city_code], n + 1),
                "name": f"{name}{'制造' if n % 3 else '科技'}{n + 1}有限公司",
                "city_code": city_code,
                "sub_industry_code": rng.choice(subs_by_city[city_code]),
                "district": f"第{rng.randint(1, 9)}区",
                "above_scale": "是" if rng.random() < 0.55 else "否",
                "quality_tier": _weighted(rng, TIERS),
                "size_class": _weighted(rng, SIZES),
            }
        )
    if levels:
        data.levels = _levels(rng, data.enterprises)
    return data


def _levels(rng: random.Random, enterprises: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for enterprise in enterprises:
        if rng.random() >= 0.6:
            continue
        base = rng.choices([0, 1, 2, 3], weights=[15, 45, 32, 8])[0]
        score = rng.uniform(10, 95)
        rows.append(
            {
                "uscc": enterprise["uscc"],
                "assessed_on": "2024-05-20",
                "purpose": "baseline",
                "method": "onsite",
                "level": base,
                "total_score": f"{score:.3f}",
            }
        )
        if rng.random() < 0.5:
            rows.append(
                {
                    "uscc": enterprise["uscc"],
                    "assessed_on": "2025-06-18",
                    "purpose": "post",
                    "method": "onsite",
                    "level": min(4, base + 1),
                    "total_score": f"{min(100.0, score + 12):.3f}",
                }
            )
    return rows


def write_csvs(data: Dataset, directory: Path) -> dict[str, Path]:
    """One UTF-8 CSV per kind with rows; returns the paths by kind."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind, header in HEADERS.items():
        rows = data.rows(kind)
        if not rows:
            continue
        path = directory / f"{kind}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(rows)
        paths[kind] = path
    return paths


# --- Issue 13: the pilot — provider libraries, subsidy rules, projects at every stage ----------
# New functions only (generate() and HEADERS above are shared with other changes): a roster from
# `generate()` is turned into the §4.6 import files of its pilot by `generate_pilot()`.

PILOT_HEADERS: dict[str, list[str]] = {
    "providers": ["uscc", "name", "category", "city_code", "status"],
    "subsidy_rules": [
        "city_code",
        "valid_from",
        "valid_to",
        "rate",
        "cap_l2",
        "cap_l3",
        "cap_l4",
        "min_level",
    ],
    # The after-levels of the accepted projects (§4.3), imported with the `levels` kind first.
    "project_levels": ["uscc", "assessed_on", "purpose", "method", "level", "total_score"],
    "projects": [
        "uscc",
        "provider_uscc",
        "contract_no",
        "contract_amount",
        "planned_completion_on",
        "software",
        "cloud",
        "data_hardware",
        "it_ops",
        "embedded",
        "office_it",
        "cabling",
        "other",
        "applied_on",
        "admitted_on",
        "diagnosed_on",
        "provider_selected_on",
        "contract_filed_on",
        "completed_on",
        "acceptance_applied_on",
        "accepted_on",
        "subsidy_approved_on",
        "subsidy_paid_on",
        "rejected_on",
        "acceptance_failed_on",
        "withdrawn_on",
        "satisfaction",
        "subsidy_central",
        "subsidy_local",
    ],
    # Issue 14: each city's funds ledger (the `funds` kind) and the baseline levels (§4.5) of
    # the project enterprises (the `levels` kind).
    "ledger": ["city_code", "entry_on", "kind", "source", "category", "amount", "reference"],
    "baseline_levels": ["uscc", "assessed_on", "purpose", "method", "level", "total_score"],
}
PILOT_STAGES = PILOT_HEADERS["projects"][13:23]  # the ten stage dates, in order
# Furthest stage reached (index into PILOT_STAGES) and its weight: every stage well populated.
FURTHEST_WEIGHTS = (10, 8, 7, 7, 14, 10, 8, 8, 8, 20)
# Days from the previous stage to each stage (the first is the application day itself).
STAGE_GAPS = (
    (0, 0),
    (5, 40),
    (10, 40),
    (5, 30),
    (10, 40),
    (60, 180),
    (10, 120),
    (20, 60),
    (10, 40),
    (10, 60),
)
PROVIDER_CATEGORIES = (("integrator", 50), ("product", 40), ("chain_leader", 10))
LIBRARY_STATUSES = (("active", 85), ("warned", 7), ("suspended", 5), ("removed", 3))
# (valid_from, valid_to, rate): two versions of every city's policy, Hefei-style.
SUBSIDY_VERSIONS = (
    (dt.date(2023, 1, 1), dt.date(2025, 6, 30), Decimal("0.5")),
    (dt.date(2025, 7, 1), None, Decimal("0.4")),
)
SUBSIDY_CAPS = {2: Decimal("300000"), 3: Decimal("400000"), 4: Decimal("500000")}
ELIGIBLE_CATEGORIES = ("software", "cloud", "data_hardware")
PILOT_CATEGORIES = PILOT_HEADERS["projects"][5:13]
PROVIDER_BASE = 20_000_000  # provider USCC numbers, clear of the enterprises'


@dataclass
class PilotDataset:
    providers: list[dict[str, Any]] = field(default_factory=list)
    subsidy_rules: list[dict[str, Any]] = field(default_factory=list)
    project_levels: list[dict[str, Any]] = field(default_factory=list)
    projects: list[dict[str, Any]] = field(default_factory=list)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    baseline_levels: list[dict[str, Any]] = field(default_factory=list)
    # (city_code, reference of the entry, reference of its reversal, reversal date): booked
    # through `funds.services.reverse_entry` after the import (a file cannot reverse).
    reversals: list[tuple[str, str, str, str]] = field(default_factory=list)

    def rows(self, kind: str) -> list[dict[str, Any]]:
        return list(getattr(self, kind))


def _yuan(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_DOWN)}"


def _pilot_libraries(
    rng: random.Random, data: Dataset, pilot: PilotDataset, pool: int
) -> dict[str, list[str]]:
    """A national pool of providers; each city's library holds 5-12 of them (a provider may
    serve several cities), mostly active. Returns each city's provider USCCs."""
    province_codes = [code for code, _, _ in PROVINCES]
    providers = [
        (
            make_uscc(province_codes[i % len(province_codes)], PROVIDER_BASE + i),
            f"{''.join(rng.sample(WORDS, 2))}数字科技{i + 1}有限公司",
            _weighted(rng, PROVIDER_CATEGORIES),
        )
        for i in range(pool)
    ]
    libraries: dict[str, list[str]] = {}
    for city in data.cities:
        chosen = rng.sample(providers, rng.randint(5, 12))
        libraries[city["code"]] = [p[0] for p in chosen]
        for provider_uscc, name, category in chosen:
            pilot.providers.append(
                {
                    "uscc": provider_uscc,
                    "name": name,
                    "category": category,
                    "city_code": city["code"],
                    "status": _weighted(rng, LIBRARY_STATUSES),
                }
            )
    return libraries


def _pilot_project(
    rng: random.Random,
    enterprise: dict[str, Any],
    library: list[str],
    n: int,
    pilot: PilotDataset,
) -> dict[str, Any]:
    """One project row: dates up to its furthest stage (rejected, withdrawn and failed ones
    among them), contract and investment lines, an after-level, a subsidy within entitlement."""
    furthest = rng.choices(range(10), weights=FURTHEST_WEIGHTS)[0]
    row: dict[str, Any] = dict.fromkeys(PILOT_HEADERS["projects"], "")
    row["uscc"] = enterprise["uscc"]
    day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 365))
    dates: list[dt.date] = []
    for i in range(furthest + 1):
        low, high = STAGE_GAPS[i]
        day += dt.timedelta(days=rng.randint(low, high))
        dates.append(day)
    failed = None
    if furthest >= 6 and rng.random() < 0.08:
        # Failed acceptance: after the application; passed later (or not yet, at stage 7).
        failed = dates[6] + dt.timedelta(days=rng.randint(5, 15))
        if furthest >= 7:
            shift = (failed - dates[6]).days + rng.randint(20, 40)
            dates[7:] = [d + dt.timedelta(days=shift) for d in dates[7:]]
        row["acceptance_failed_on"] = failed.isoformat()
    for name, value in zip(PILOT_STAGES, dates, strict=False):
        row[name] = value.isoformat()
    if furthest == 0 and rng.random() < 0.5:
        row["rejected_on"] = (dates[0] + dt.timedelta(days=rng.randint(5, 40))).isoformat()
    elif 1 <= furthest <= 6 and rng.random() < 0.1:
        last = max([dates[-1], *([failed] if failed else [])])
        row["withdrawn_on"] = (last + dt.timedelta(days=rng.randint(5, 60))).isoformat()
    if furthest >= 3:
        row["provider_uscc"] = rng.choice(library)
    amounts: dict[str, Decimal] = {}
    if furthest >= 4:
        contract = Decimal(rng.randint(200, 1500) * 1000)
        row["contract_no"] = f"HT-{n + 1:06d}"
        row["contract_amount"] = _yuan(contract)
        row["planned_completion_on"] = (
            dates[4] + dt.timedelta(days=rng.randint(90, 240))
        ).isoformat()
        left = contract
        for category in rng.sample(PILOT_CATEGORIES, rng.randint(2, 5)):
            amount = (left * Decimal(rng.uniform(0.2, 0.6))).quantize(Decimal("1"), ROUND_DOWN)
            amounts[category] = amount
            left -= amount
        for category, amount in amounts.items():
            row[category] = _yuan(amount)
    if furthest >= 7:
        level = rng.choices([2, 3, 4], weights=[60, 30, 10])[0]
        completed, accepted = dates[5], dates[7]
        assessed = completed + (accepted - completed) // 2
        pilot.project_levels.append(
            {
                "uscc": enterprise["uscc"],
                "assessed_on": assessed.isoformat(),
                "purpose": "post",
                "method": "onsite",
                "level": level,
                "total_score": f"{40 + 15 * level:.3f}",
            }
        )
        row["satisfaction"] = rng.choices([2, 3, 4, 5], weights=[5, 20, 45, 30])[0]
        if furthest >= 8:
            rate = next(
                r
                for start, end, r in SUBSIDY_VERSIONS
                if start <= completed and (end is None or completed <= end)
            )
            eligible = sum((a for c, a in amounts.items() if c in ELIGIBLE_CATEGORIES), Decimal(0))
            entitled = min(
                (rate * eligible).quantize(Decimal("0.01"), ROUND_DOWN), SUBSIDY_CAPS[level]
            )
            central = (entitled * Decimal("0.7")).quantize(Decimal("0.01"), ROUND_DOWN)
            row["subsidy_central"] = _yuan(central)
            row["subsidy_local"] = _yuan(entitled - central)
    return row


def generate_pilot(
    data: Dataset, *, projects: int = 60_000, providers: int = 600, seed: int = 2026
) -> PilotDataset:
    """The pilot of a roster: provider libraries, two subsidy-rule versions per city, and
    `projects` projects (one per enterprise, enterprises drawn at random) spread over every
    stage, with the after-levels their acceptance needs. Every date is before 2026-11-01."""
    if projects > len(data.enterprises):
        raise ValueError("one project per enterprise: more projects than enterprises")
    rng = random.Random(seed + 13)
    pilot = PilotDataset()
    libraries = _pilot_libraries(rng, data, pilot, providers)
    for city in data.cities:
        for start, end, rate in SUBSIDY_VERSIONS:
            pilot.subsidy_rules.append(
                {
                    "city_code": city["code"],
                    "valid_from": start.isoformat(),
                    "valid_to": "" if end is None else end.isoformat(),
                    "rate": str(rate),
                    "cap_l2": _yuan(SUBSIDY_CAPS[2]),
                    "cap_l3": _yuan(SUBSIDY_CAPS[3]),
                    "cap_l4": _yuan(SUBSIDY_CAPS[4]),
                    "min_level": 2,
                }
            )
    for n, enterprise in enumerate(rng.sample(data.enterprises, projects)):
        pilot.projects.append(
            _pilot_project(rng, enterprise, libraries[enterprise["city_code"]], n, pilot)
        )
    # Issue 14, from random streams of their own (the rows above are unchanged by them).
    _pilot_baselines(random.Random(seed + 141), pilot)
    ledger_rng = random.Random(seed + 14)
    for city in data.cities:
        _pilot_ledger(ledger_rng, city, pilot)
    return pilot


# --- Issue 14: funds ledgers and baseline levels ----------------------------------------------

MAJOR_TYPES = frozenset({"provincial_capital", "separately_planned", "corps"})  # cities.choices
AWARD_CAP_MAJOR, AWARD_CAP_OTHER = Decimal(150_000_000), Decimal(100_000_000)  # batch defaults
# Central receipts: three tranches of the award cap (80% of it in all, never above it).
CENTRAL_TRANCHES = (Decimal("0.3"), Decimal("0.3"), Decimal("0.2"))
# Central other uses (platform, chain, procured services) stay within this share of the first
# tranche, and are dated after it: within the 20% rule on every day, whatever comes later.
OTHER_BUDGET_SHARE = Decimal("0.15")
LEDGER_LAST_DAY = dt.date(2026, 11, 30)
LEDGER_SPENDING = (  # (source, category, weight) of an expense
    ("central", "transformation", 30),
    ("central", "platform", 12),
    ("central", "chain", 8),
    ("central", "procured_services", 10),
    ("local", "transformation", 20),
    ("local", "platform", 8),
    ("local", "chain", 5),
    ("local", "procured_services", 7),
)
REVERSAL_RATE = 0.01  # of the expenses


def _pilot_ledger(rng: random.Random, city: dict[str, Any], pilot: PilotDataset) -> None:
    """About 50 entries of one city (`import_data funds`): three central tranches within the
    award cap, 2-4 local receipts, 30-60 expenses of both sources and every category, the
    central other uses within the 20% rule on every day; about 1% of the expenses reversed."""
    code = city["code"]
    cap = AWARD_CAP_MAJOR if city["city_type"] in MAJOR_TYPES else AWARD_CAP_OTHER
    start = max(
        dt.date.fromisoformat(city["plan_approved_on"]) + dt.timedelta(days=30),
        dt.date(2023, 3, 1),
    )
    span = (LEDGER_LAST_DAY - start).days
    n = 0

    def add(day: dt.date, kind: str, source: str, category: str, amount: Decimal) -> str:
        nonlocal n
        n += 1
        reference = f"{code}-{'SR' if kind == 'receipt' else 'ZC'}-{n:04d}"
        pilot.ledger.append(
            {
                "city_code": code,
                "entry_on": day.isoformat(),
                "kind": kind,
                "source": source,
                "category": category,
                "amount": _yuan(amount),
                "reference": reference,
            }
        )
        return reference

    for i, share in enumerate(CENTRAL_TRANCHES):
        add(start + dt.timedelta(days=span * i // 3), "receipt", "central", "", cap * share)
    for _ in range(rng.randint(2, 4)):
        day = start + dt.timedelta(days=rng.randint(0, span))
        add(day, "receipt", "local", "", Decimal(rng.randint(10, 200) * 100_000))
    other_left = cap * CENTRAL_TRANCHES[0] * OTHER_BUDGET_SHARE
    weights = [w for _, _, w in LEDGER_SPENDING]
    for _ in range(rng.randint(30, 60)):
        source, category, _ = rng.choices(LEDGER_SPENDING, weights=weights)[0]
        amount = Decimal(rng.randint(5_000, 150_000)) * 10 + Decimal(rng.randint(0, 99)) / 100
        if source == "central" and category != "transformation":
            if amount > other_left:
                source = "local"
            else:
                other_left -= amount
        day = start + dt.timedelta(days=rng.randint(1, span))
        reference = add(day, "expense", source, category, amount)
        if rng.random() < REVERSAL_RATE:
            undone = min(day + dt.timedelta(days=rng.randint(3, 40)), LEDGER_LAST_DAY)
            pilot.reversals.append((code, reference, f"{code}-CZ-{n:04d}", undone.isoformat()))


def _pilot_baselines(rng: random.Random, pilot: PilotDataset) -> None:
    """A confirmed on-site baseline level (§4.5) for ~85% of the project enterprises, dated
    10-90 days before the application, mostly below the after-level."""
    for project in pilot.projects:
        if rng.random() >= 0.85:
            continue
        applied = dt.date.fromisoformat(project["applied_on"])
        pilot.baseline_levels.append(
            {
                "uscc": project["uscc"],
                "assessed_on": (applied - dt.timedelta(days=rng.randint(10, 90))).isoformat(),
                "purpose": "baseline",
                "method": "onsite",
                "level": rng.choices([0, 1, 2, 3], weights=[15, 45, 32, 8])[0],
                "total_score": f"{rng.uniform(10, 70):.3f}",
            }
        )


def write_pilot_csvs(pilot: PilotDataset, directory: Path) -> dict[str, Path]:
    """One UTF-8 CSV per pilot kind; returns the paths by kind (import `project_levels` with
    the `levels` kind)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind, header in PILOT_HEADERS.items():
        path = directory / f"{kind}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(pilot.rows(kind))
        paths[kind] = path
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="output directory")
    parser.add_argument("--cities", type=int, default=100)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--levels", action="store_true", help="also write levels.csv")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    data = generate(
        cities=args.cities, enterprises=args.enterprises, levels=args.levels, seed=args.seed
    )
    for kind, path in write_csvs(data, args.out).items():
        print(f"{kind}: {len(data.rows(kind))} rows → {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
