"""The national report's pages, read back with pdftotext -layout: no nearly empty page, no
table row alone on a page after its head. Two renders (demo size, a few dozen cities)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from reports import rendering
from reports.snapshots import build_snapshot, snapshot_hash

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed"),
]

# A page other than the cover and the last one carries at least this many lines of body text
# (the running header and footer not counted). A landscape page holds about 25.
MIN_LINES = 10
# Each table: how its head line and its row lines read in `pdftotext -layout`.
CITY_ROW = re.compile(r"^\s*\S+（[A-Z0-9]+）\s")
TABLES = {
    "cities": (re.compile(r"剩余天数"), re.compile(rf"{CITY_ROW.pattern}|^\s*全国合计\s")),
    "non-compliant": (re.compile(r"缺口（家）"), CITY_ROW),
    "regions": (
        re.compile(r"^\s*区域\s.*城市数（个）"),
        re.compile(r"^\s*(东部|中部|西部|东北)\s"),
    ),
    "batches": (re.compile(r"^\s*批次\s.*城市数（个）"), re.compile(r"^\s*\d{4} 年\s")),
    "projects-funds": (
        re.compile(r"奖补已拨付\s.*平均等级提升"),
        re.compile(rf"{CITY_ROW.pattern}|^\s*全国合计\s"),
    ),
    "scores": (re.compile(r"^\s*城市\s.*得分\s+排名\s+等级"), CITY_ROW),
    "rankings": (re.compile(r"^\s*名次\s+城市"), re.compile(r"^\s*(\d+|—)\s+\S+（[A-Z0-9]+）")),
    # A sample's investment lines wrap under its first one.
    "samples": (
        re.compile(r"分类投资（元）"),
        re.compile(rf"{CITY_ROW.pattern}|^\s{{20,}}\S+ [\d.]+$"),
    ),
}


SAMPLE = {
    "enterprise": "测试制造有限公司",
    "sub_industry": "特色食品",
    "provider": "测试服务商",
    "before_level_name": "一级",
    "after_level_name": "三级",
    "investment": [
        {"category": "software", "label": "软件", "amount": "120000.00"},
        {"category": "cloud", "label": "云服务", "amount": "30000.00"},
    ],
    "investment_total": "150000.00",
    "eligible_investment": "150000.00",
    "subsidy_approved": "60000.00",
    "subsidy_paid": "60000.00",
}


def body_lines(pdf: Path) -> list[list[str]]:
    """Each page's non-blank lines, without the running header and the footer."""
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", str(pdf), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return [
        [
            line
            for line in page.splitlines()
            if line.strip() and "数据快照" not in line and "全国试点汇总报告 ·" not in line
        ]
        for page in text.split("\f")[:-1]
    ]


def layout_problems(pdf: Path, rows: dict[str, int]) -> list[str]:
    """What is wrong with the pages: a nearly empty page, or a table head (first or repeated)
    followed on its page by fewer than two of its rows (fewer only if the table has fewer)."""
    pages = body_lines(pdf)
    problems = []
    for number, lines in enumerate(pages[1:-1], start=2):
        if len(lines) < MIN_LINES:
            problems.append(f"page {number}: only {len(lines)} lines")
    for number, lines in enumerate(pages, start=1):
        for name, (head, row) in TABLES.items():
            for i, line in enumerate(lines):
                if not head.search(line):
                    continue
                following = 0
                for after in lines[i + 1 :]:
                    if not row.search(after):
                        break
                    following += 1
                if following < min(2, rows[name]):
                    problems.append(f"page {number}: {name} head with {following} row(s) after it")
    return problems


def render(tmp_path: Path, snapshot: dict[str, Any]) -> Path:
    pdf = tmp_path / "national.pdf"
    digest = snapshot_hash(snapshot)
    pdf.write_bytes(rendering.render_pdf("national", snapshot, snapshot_hash=digest))
    return pdf


def row_counts(snapshot: dict[str, Any]) -> dict[str, int]:
    return {
        "cities": len(snapshot["rows"]) + 1,  # and the national totals
        "non-compliant": len(snapshot["non_compliant"]),
        "regions": len(snapshot["regions"]),
        "batches": len(snapshot["batches"]),
        "projects-funds": len(snapshot["rows"]) + 1,
        "scores": min(
            sum(
                1
                for r in snapshot["rows"]
                if r["score"]
                and r["score"]["version"] == sc["version"]
                and r["score"]["batch_year"] == sc["batch_year"]
            )
            for sc in snapshot["scorecards"]
        ),
        "rankings": min(len(v) for v in snapshot["rankings"].values()),
        "samples": len(snapshot["samples"]),
    }


def test_national_report_pages_are_filled_and_keep_table_rows_with_their_head(tmp_path):
    call_command("seed_demo", stdout=io.StringIO())
    demo = build_snapshot("national")
    assert demo["non_compliant"] and len(demo["rows"]) == 3
    assert all(r["score"] for r in demo["rows"])

    pdf = render(tmp_path, demo)
    assert layout_problems(pdf, row_counts(demo)) == []

    # A few dozen cities, three sub-industries each short of the rule: long tables over pages.
    failing = demo["non_compliant"][0]
    many = {
        **demo,
        # Each batch's scorecard table a dozen of them.
        "rows": [
            {**demo["rows"][i % 3], "code": f"T{i:03d}", "name": f"测试城市{i:03d}"}
            for i in range(36)
        ],
        "non_compliant": [
            {**failing, "city_code": f"T{i:03d}", "city_name": f"测试城市{i:03d}", "code": f"S{j}"}
            for i in range(36)
            for j in range(3)
        ],
        # Enough samples (two lines each) to run over a page, not one per city.
        "samples": [
            {**SAMPLE, "city_code": f"T{i:03d}", "city_name": f"测试城市{i:03d}"} for i in range(14)
        ],
    }
    pdf = render(tmp_path, many)
    pages = body_lines(pdf)
    assert len(pages) >= 6  # the tables do run over pages
    assert layout_problems(pdf, row_counts(many)) == []
