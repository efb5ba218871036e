"""The national report (issue 15 items 2, 4, 5): one real PDF of a three-city world read back
with pdftotext equals what `manage.py compliance/funnel/funds --all` and `manage.py scorecard`
print for the same as_of; its fonts are embedded and its pages after the cover landscape. A
changed scorecard leaves an issued report as it was, and the snapshot's queries do not grow with
the cities."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oversight.models import ScorecardIndicator
from reports import rendering, services
from reports.snapshots import build_snapshot, snapshot_hash
from tests.assessments.factories import confirmed_level
from tests.cities.factories import CityFactory, EnterpriseFactory, SubIndustryFactory
from tests.oversight import scorecard_world
from tests.reports import national_world

pytestmark = pytest.mark.django_db

AS_OF = national_world.AS_OF
NAMES = {"HHHT": "呼和浩特市", "NB": "宁波市", "XA": "西安市"}
STAGES = ("applied", "admitted", "contract_filed", "completed", "accepted", "subsidy_paid")
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils not installed"
)


@pytest.fixture
def world(city, other_city):
    scorecard = national_world.build(city, other_city)
    cache.clear()
    return scorecard


def squash(text: str) -> str:
    return "".join(text.split())


def command(*args: str) -> list[dict[str, Any]]:
    out = io.StringIO()
    call_command(*args, "--as-of", AS_OF.isoformat(), stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def percent(ratio: str | None) -> str:
    return "—" if ratio is None else f"{Decimal(ratio) * 100:.2f}%"


def rows_of(lines: list[str], label: str) -> list[str]:
    return [squash(line) for line in lines if line.strip().startswith(label)]


@needs_poppler
def test_the_pdf_says_what_the_commands_print(world, tmp_path):
    snapshot = build_snapshot("national", as_of=AS_OF)
    pdf = tmp_path / "national.pdf"
    pdf.write_bytes(
        rendering.render_pdf("national", snapshot, snapshot_hash=snapshot_hash(snapshot))
    )
    text = national_world.pdf_sections(pdf)
    compliance = {c["city"]: c for c in command("compliance", "--all")}
    funnel = {c["city"]: c for c in command("funnel", "--all")}
    funds = {c["city"]: c for c in command("funds", "--all")}
    (scorecard,) = command("scorecard", "--batch", "2024")
    scores = {c["city"]: c for c in scorecard["cities"]}
    assert set(compliance) == set(funnel) == set(funds) == set(NAMES)
    assert set(scores) == {"HHHT", "NB"}  # XA's batch has no scorecard

    for code, name in NAMES.items():
        label = f"{name}（{code}）"
        # 二: 细分行业达标 小巨人 达标企业/分母 占比 判定
        c = compliance[code]
        subs = c["sub_industries"]
        at = sum(s["at_or_above"] for s in subs)
        den = sum(s["denominator"] for s in subs)
        share = "—" if not den else f"{Decimal(at * 100) / den:.2f}%"
        giants = c["little_giants"]
        (row,) = rows_of(text["二、"], label)
        assert row.endswith(
            squash(
                f"{sum(1 for s in subs if s['compliant'])}/"
                f"{sum(1 for s in subs if s['compliant'] is not None)}"
                f"{giants['at_or_above']}/{giants['total']}{at}/{den}{share}"
                + ("达标" if c["city_compliant"] else "未达标")
            )
        ), row
        # 三: the funnel's six totals, mean uplift, the funds' shares and verdicts
        f, m = funds[code], funnel[code]
        raw = {p["key"]: p["raw"] for p in scores.get(code, {}).get("indicators", [])}
        uplift = raw.get("level_uplift")
        (row,) = rows_of(text["三、"], label)
        if f["transformation_share"] is None:
            verdicts = ["尚无中央资金到位—"]
        elif f["transformation_target_met"]:
            verdicts = [f"已达目标{percent(f['other_share'])}"]
        else:
            verdicts = [
                f"{t}{percent(f['other_share'])}" for t in ("尚未达到目标", "临近期末未达目标")
            ]
        limit = (
            "—"
            if f["other_share"] is None
            else ("未超上限" if f["other_within_limit"] else "超上限")
        )
        assert row in {
            label
            + "".join(str(m["reached"][s]) for s in STAGES)
            + (
                "—"
                if uplift is None
                else f"{Decimal(uplift).quantize(Decimal('0.01'), ROUND_HALF_UP)}"
            )
            + percent(f["transformation_share"])
            + v
            + limit
            for v in verdicts
        }, row
        # 八: every failing sub-industry
        for s in subs:
            found = [r for r in rows_of(text["八、"], label) if r.startswith(label + s["code"])]
            if s["compliant"] is False:
                assert found == [
                    squash(
                        f"{label}{s['code']}{s['name']}{s['denominator']}{s['at_or_above']}"
                        f"{percent(s['ratio'])}{s['shortfall']}"
                    )
                ]
            else:
                assert found == []
    (totals,) = rows_of(text["三、"], "全国合计")
    assert totals.startswith(
        "全国合计" + "".join(str(sum(m["reached"][s] for m in funnel.values())) for s in STAGES)
    )

    # 四 and 五: each city's breakdown, score, rank and band as `manage.py scorecard` prints them
    assert f"v{scorecard['scorecard']['version']}（{scorecard['scorecard']['label']}）" in "".join(
        text["四、"]
    )
    for code, s in scores.items():
        label = f"{NAMES[code]}（{code}）"
        points = "".join("缺失" if p["missing"] else p["points"] for p in s["indicators"])
        assert rows_of(text["四、"], label) == [
            f"{label}{points}{s['score']}{s['rank']}/{len(scores)}{s['band']}"
        ]
        (ranked,) = [r for r in map(squash, text["五、"]) if re.match(rf"^\d+{label}2024年", r)]
        assert ranked == f"{s['rank']}{label}2024年v{s['scorecard_version']}{s['score']}{s['band']}"

    # 九: the sample with its before/after levels, investment by category and subsidy
    (sample,) = rows_of(text["九、"], "呼和浩特市（HHHT）")
    central, local = national_world.SAMPLE_SUBSIDY
    assert sample == squash(
        "呼和浩特市（HHHT）"
        + snapshot["samples"][0]["enterprise"]
        + "特色食品一级三级软件120000.00155000.00"
        + f"{Decimal(central) + Decimal(local):.2f}0.00"
    )
    assert "云服务30000.00" in map(squash, text["九、"])

    # Fonts embedded; the cover portrait, every later page landscape.
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True)
    rows = fonts.stdout.splitlines()[2:]
    assert rows and all(line.split()[-5] == "yes" for line in rows), fonts.stdout
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, check=True, text=True
    ).stdout
    sizes = [tuple(map(float, s)) for s in re.findall(r"size:\s+([\d.]+) x ([\d.]+)", info)]
    assert len(sizes) >= 3
    assert sizes[0][0] < sizes[0][1]
    assert all(w > h for w, h in sizes[1:])


def test_a_changed_scorecard_leaves_an_issued_report_as_it_was(
    world, ministry_user, renderer, django_capture_on_commit_callbacks
):
    def request():
        with django_capture_on_commit_callbacks(execute=True):
            job = services.report_request(actor=ministry_user, kind="national", as_of=AS_OF)
        job.refresh_from_db()
        return job

    def hhht(job):
        (row,) = [r for r in job.snapshot["rows"] if r["code"] == "HHHT"]
        return row["score"]["version"], row["score"]["score"], row["score"]["band"]

    old = request()
    html = rendering.render_html("national", old.snapshot, snapshot_hash=old.snapshot_hash)
    assert hhht(old) == (1, "63.1", "合格")
    assert "63.1" in html

    # New weights on the same version (no saved score uses it, so the admin allows it) …
    ScorecardIndicator.objects.filter(scorecard=world, key="compliance_share").update(
        weight=Decimal("0.10")
    )
    ScorecardIndicator.objects.filter(scorecard=world, key="provider_satisfaction").update(
        weight=Decimal("0.30")
    )
    reweighted = request()
    assert reweighted.pk != old.pk
    assert hhht(reweighted) == (1, "68.8", "合格")  # 63.125 − 0.15 × 50 + 0.15 × 87.5
    # … then a new version in force from before the report's day.
    scorecard_world.make_scorecard(
        version=2,
        weights={"compliance_share": ("0.5", None), "funds_share": ("0.5", None)},
        valid_from=scorecard_world.d("2026-01-01"),
    )
    newer = request()
    assert hhht(newer) == (2, "62.5", "合格")  # 0.5 × 50 + 0.5 × 75

    before = (old.snapshot, old.snapshot_hash)
    old.refresh_from_db()
    assert (old.snapshot, old.snapshot_hash) == before
    assert hhht(old) == (1, "63.1", "合格")
    assert rendering.render_html("national", old.snapshot, snapshot_hash=old.snapshot_hash) == html


def test_snapshot_queries_do_not_grow_with_cities(world):
    def count() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            build_snapshot("national", as_of=AS_OF)
        return len(queries)

    few = count()
    for i in range(4):
        sub = SubIndustryFactory(city=CityFactory(code=f"T{i:02d}"))
        for level in range(3):
            confirmed_level(EnterpriseFactory(sub_industry=sub), level, days_ago=400)
    assert count() == few
