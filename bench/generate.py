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
