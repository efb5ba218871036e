"""The city report's pilot-management sections (issue 15 items 1, 4, 5): every figure of
`manage.py compliance`, `funnel`, `funds`, `provider_scores` and `scorecard` for the same
`as_of`, read back from the PDF through pdftotext; fonts embedded; the wide tables on landscape
pages, each heading on the page of its table; the scorecard frozen with the report.

One real render for the whole module (`report`, built in a transaction rolled back at the end).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from funds.models import LedgerEntry
from reports import rendering, services
from reports.snapshots import build_snapshot, snapshot_hash
from tests.cities.factories import CityFactory
from tests.oversight.scorecard_world import make_scorecard
from tests.projects.provider_world import ACCEPTED, make_project
from tests.reports import city_report_world
from tests.reports.city_report_world import AS_OF
from tests.reports.test_rendering import page_sizes, page_texts, squash

# Every test is marked so that the test database is set up even when only the PDF tests run
# (the module fixture writes there, in a transaction it rolls back).
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed"),
]

COMMANDS = ("compliance", "funnel", "funds", "provider_scores")


def _command(name: str, *args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command(name, *args, "--as-of", AS_OF.isoformat(), stdout=out)
    return json.loads(out.getvalue())


@dataclass(frozen=True)
class Report:
    snapshot: dict[str, Any]
    printed: dict[str, dict[str, Any]]  # each command's JSON
    scorecard: dict[str, Any]  # `manage.py scorecard`
    pages: list[str]  # each page's text
    sizes: list[tuple[float, float]]
    fonts: str
    names: dict[str, str]  # sub-industry code → name

    @property
    def flat(self) -> str:
        return squash("".join(self.pages))


@pytest.fixture(scope="module")
def report(django_db_setup, django_db_blocker, tmp_path_factory) -> Report:
    with django_db_blocker.unblock(), transaction.atomic():
        city = CityFactory(code="HHHT", name="呼和浩特市")
        other = CityFactory(code="NB", name="宁波市")
        city_report_world.build(city, other)
        make_scorecard()
        printed = {name: _command(name, "HHHT") for name in COMMANDS}
        scorecard = _command("scorecard", "--batch", "2024")
        snapshot = build_snapshot("city", city_code="HHHT", as_of=AS_OF)
        names = dict(city.sub_industries.values_list("code", "name"))
        transaction.set_rollback(True)
    digest = snapshot_hash(snapshot)
    pdf = tmp_path_factory.mktemp("city") / "city.pdf"
    pdf.write_bytes(rendering.render_pdf("city", snapshot, snapshot_hash=digest))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True)
    return Report(
        snapshot,
        printed,
        scorecard,
        page_texts(pdf, layout=True),
        page_sizes(pdf),
        fonts.stdout,
        names,
    )


def _pct(ratio: str | None) -> str:
    return "—" if ratio is None else f"{Decimal(ratio) * 100:.2f}%"


def _yuan(amount: str) -> str:
    return f"{Decimal(amount):,.2f}"


def _mean(value: str | None) -> str:
    if value is None:
        return "—"
    whole, frac = value.split(".")
    return f"{whole}.{frac.rstrip('0').ljust(2, '0')}"


def test_snapshot_holds_each_commands_json(report):
    s = report.snapshot
    assert s["compliance"] == report.printed["compliance"]
    assert s["funnel"]["data"] == report.printed["funnel"]
    assert s["funds"]["data"] == report.printed["funds"]
    assert s["providers"]["data"] == report.printed["provider_scores"]
    (mine,) = [c for c in report.scorecard["cities"] if c["city"] == "HHHT"]
    assert s["scorecard"]["row"] == mine and s["scorecard"]["saved"] is False
    assert s["scorecard"]["scorecard"]["version"] == report.scorecard["scorecard"]["version"]
    assert s["scorecard"]["ranked"] == len(report.scorecard["cities"])
    assert json.loads(json.dumps(s)) == s  # JSON values only


def test_pdf_prints_the_compliance_figures(report):
    flat = report.flat
    for x in report.printed["compliance"]["sub_industries"]:
        # (pdftotext may put a short code cell on the line of the one above: name onwards)
        row = f"{x['name']}{x['denominator']}{x['at_or_above']}{_pct(x['ratio'])}"
        assert x["code"] in flat
        assert squash(row + f"{x['at_or_above'] + x['shortfall']}{x['shortfall']}") in flat, row


def test_pdf_prints_the_funnel_by_stage_sub_industry_and_district(report):
    funnel = report.printed["funnel"]
    flat = report.flat
    assert "".join(f"{n}个" for n in funnel["reached"].values()) in flat
    for x in funnel["by_sub_industry"]:
        row = x["code"] + report.names[x["code"]] + "".join(map(str, x["reached"].values()))
        assert squash(row) in flat, row
    districts = report.snapshot["funnel"]["districts"]
    assert [r["name"] for r in districts] == ["新城区", "赛罕区"]
    for i, stage in enumerate(funnel["reached"]):  # the districts add up to the city
        assert sum(r["reached"][i] for r in districts) == funnel["reached"][stage]
    for r in districts:
        row = r["name"] + "".join(map(str, r["reached"]))
        assert squash(f"{row}{r['overdue_acceptance']}{r['overdue_completion']}") in flat, row
    assert sum(r["overdue_acceptance"] for r in districts) == funnel["overdue"]["acceptance"]
    told = (
        f"未入库{funnel['rejected']}个，已退出{funnel['withdrawn']}个，"
        f"曾验收未通过{funnel['acceptance_failed']}个；"
        f"逾期未申请验收{funnel['overdue']['acceptance']}个"
    )
    assert told in flat
    assert f"逾期未完工{funnel['overdue']['completion']}个" in flat
    # Medians of the stage durations, in days (admitted 2025-01-10 → 2025-02-01: 22 days).
    medians = {s["stage"]: s["median_days"] for s in report.snapshot["funnel"]["stages"]}
    assert medians["applied"] is None and medians["admitted"] == "22.0"
    assert "—22.0天" in flat


def test_pdf_lists_every_overdue_project(report):
    overdue = report.snapshot["overdue"]
    funnel = report.printed["funnel"]
    assert len(overdue["acceptance"]["rows"]) == funnel["overdue"]["acceptance"] >= 1
    assert len(overdue["completion"]["rows"]) == funnel["overdue"]["completion"] >= 1
    flat = report.flat
    late = overdue["acceptance"]["rows"][0]
    assert late["since"] == "2026-01-10" and late["due"] == "2026-04-10"
    for kind in ("acceptance", "completion"):
        for r in overdue[kind]["rows"]:
            row = f"{r['uscc']}{r['name']}"
            assert row in flat and f"{r['since']}{r['due']}{r['days_overdue']}" in flat, row


def test_pdf_prints_the_funds_figures_and_the_80_20_verdict(report):
    funds = report.printed["funds"]
    flat = report.flat
    central, local = funds["central"], funds["local"]
    assert f"中央资金已到位{_yuan(central['received'])}—不超过上限" in flat
    assert f"中央奖补资金上限{_yuan(funds['award_cap'])}" in flat
    assert f"地方配套资金已到位{_yuan(local['received'])}" in flat
    assert f"地方资金已支出{_yuan(local['spent'])}" in flat
    verdict = "已达到" if funds["transformation_target_met"] else "尚未达到"
    assert (
        f"中央资金用于企业改造{_yuan(central['transformation'])}"
        f"{_pct(funds['transformation_share'])}不低于80%{verdict}"
    ) in flat
    other = sum(Decimal(central[k]) for k in ("platform", "chain", "procured_services"))
    within = "符合" if funds["other_within_limit"] else "超出"
    assert f"中央资金用于其他用途{other:,.2f}{_pct(funds['other_share'])}不超过20%{within}" in flat
    labels = {
        "transformation": "数字化改造",
        "platform": "平台及服务能力",
        "chain": "链式转型",
        "procured_services": "购买支撑服务",
    }
    for key, label in labels.items():
        assert f"中央{label}{_yuan(central[key])}" in flat, key
    s = funds["subsidies"]
    assert f"奖补已核定{s['approved']}{_yuan(s['approved_amount'])}" in flat
    assert f"奖补已拨付{s['paid']}{_yuan(s['paid_amount'])}" in flat
    assert (s["approved"], s["paid"], s["paid_amount"]) == (2, 1, "40000.50")


def test_pdf_prints_the_provider_league_table(report):
    flat = report.flat
    providers = report.printed["provider_scores"]["providers"]
    assert len(providers) == 2
    for p in providers:
        stars = "暂不评级" if p["stars"] is None else f"★{p['stars']}"
        row = (
            f"{p['uscc']}{p['name']}"
            + ("在库" if p["status"] == "active" else "警示")
            + f"{p['projects']}{p['accepted']}{p['failed']}{_pct(p['acceptance_rate'])}"
            f"{_mean(p['mean_uplift'])}{_mean(p['mean_satisfaction'])}"
            f"{_pct(p['on_time_rate'])}{p['score']}{stars}"
        )
        assert squash(row) in flat, row
    league = [r["uscc"] for r in report.snapshot["providers"]["league"]]
    by_score = sorted(providers, key=lambda p: (-Decimal(p["score"]), p["uscc"]))
    assert league == [p["uscc"] for p in by_score]


def test_pdf_prints_the_score_rank_band_breakdown_and_scorecard_version(report):
    flat = report.flat
    (mine,) = [c for c in report.scorecard["cities"] if c["city"] == "HHHT"]
    n = len(report.scorecard["cities"])
    assert (
        f"绩效评价得分{mine['score']}分，在2024年批次{n}个试点城市中排名第{mine['rank']}，"
        f"评价等级“{mine['band']}”"
    ) in flat
    version = report.scorecard["scorecard"]
    assert (
        squash(f"第{version['version']}版“{version['label']}”（自{version['valid_from']}起适用）")
        in flat
    )
    for part in mine["indicators"]:
        weight = (Decimal(part["weight"]) * 100).normalize()
        tail = f"{part['points']}{weight:f}%{part['weighted']}"
        assert tail in flat, part
        assert part["label"] in flat


def test_pdf_prints_acceptance_and_uplift_by_tier(report):
    a = report.snapshot["acceptance"]
    funnel = report.printed["funnel"]
    assert a["accepted"] == funnel["reached"]["accepted"]
    assert a["failed"] == funnel["acceptance_failed"]
    total = a["total"]
    assert total["accepted"] == funnel["reached"]["accepted"]
    # The same mean the scorecard's level_uplift indicator is computed from.
    (mine,) = [c for c in report.scorecard["cities"] if c["city"] == "HHHT"]
    (uplift,) = [p for p in mine["indicators"] if p["key"] == "level_uplift"]
    assert Decimal(total["uplift_mean"]) == Decimal(uplift["raw"]).quantize(Decimal("0.01"))
    tiers = {t["label"]: t for t in a["by_tier"]}
    assert set(tiers) == {"无", "省级专精特新"}
    srdi = tiers["省级专精特新"]  # the sample: baseline 1, after 3
    assert (srdi["accepted"], srdi["before_mean"], srdi["after_mean"]) == (1, "1.00", "3.00")
    flat = report.flat
    for t in [*a["by_tier"], total]:
        row = (
            f"{t['label']}{t['accepted']}{t['with_levels']}{t['before_mean']}"
            f"{t['after_mean']}{t['uplift_mean']}{t['improved']}"
        )
        assert row in flat, row


def test_pdf_lists_the_samples_with_levels_investment_and_subsidy(report):
    (sample,) = report.snapshot["samples"]
    flat = report.flat
    assert "十一、转型样板（1个）" in flat
    assert f"1.{sample['enterprise']}" in flat
    assert "所用产品：云MES" in flat
    assert "一级三级115,000.00100,000.0040,000.5040,000.50" in flat
    assert "软件80,000.00是云服务20,000.00是办公电脑及外设15,000.00否" in flat


def test_fonts_are_embedded(report):
    lines = [ln.split() for ln in report.fonts.splitlines()[2:] if ln.strip()]
    assert lines
    for cols in lines:
        assert cols[-5:-3] == ["yes", "yes"], cols  # emb, sub


def test_wide_tables_are_on_landscape_pages_with_their_headings(report):
    a4_portrait, a4_landscape = (595, 842), (842, 595)
    sizes = [(round(w), round(h)) for w, h in report.sizes]
    assert sizes[0] == a4_portrait
    pages = [squash(t) for t in report.pages]

    def page_of(text: str) -> int:
        found = [i for i, p in enumerate(pages) if text in p]
        assert found, text
        return found[0]

    for heading, head in (
        ("按细分行业", "代码细分行业已申报已入库"),
        ("按区县", "区县已申报已入库"),
        ("服务商排行", "统一社会信用代码服务商名称状态"),
        ("逾期未申请验收（", "完工日期应申请验收截止"),
    ):
        i = page_of(heading)
        assert sizes[i] == a4_landscape, heading
        assert head in pages[i][pages[i].index(heading) :], heading  # the table follows
    for heading in ("得分构成", "验收通过企业改造前后等级", "支出分类", "十一、转型样板"):
        assert sizes[page_of(heading)] == a4_portrait, heading


def test_a_changed_scorecard_never_changes_a_requested_report(
    city, other_city, ministry_user, renderer, django_capture_on_commit_callbacks
):
    city_report_world.build(city, other_city)
    make_scorecard()
    with django_capture_on_commit_callbacks(execute=True):
        old = services.report_request(
            actor=ministry_user, kind="city", city_code="HHHT", as_of=AS_OF
        )
    old.refresh_from_db()
    frozen, digest = json.loads(json.dumps(old.snapshot)), old.snapshot_hash
    html = rendering.render_html("city", old.snapshot, snapshot_hash=digest)
    assert old.snapshot["scorecard"]["scorecard"]["version"] == 1

    # Version 2, in force from before as_of: every weight on compliance.
    make_scorecard(2, {"compliance_share": ("1", None)}, valid_from=AS_OF)
    new = services.report_request(actor=ministry_user, kind="city", city_code="HHHT", as_of=AS_OF)
    assert new.pk != old.pk and new.snapshot_hash != digest
    assert new.snapshot["scorecard"]["scorecard"]["version"] == 2
    assert new.snapshot["scorecard"]["row"]["score"] != frozen["scorecard"]["row"]["score"]

    old.refresh_from_db()
    assert old.snapshot == frozen and old.snapshot_hash == digest
    assert rendering.render_html("city", old.snapshot, snapshot_hash=digest) == html
    assert f"{frozen['scorecard']['row']['score']} 分" in html


def test_snapshot_queries_do_not_grow_with_projects(city, other_city):
    found = city_report_world.build(city, other_city)
    make_scorecard()
    with CaptureQueriesContext(connection) as before:
        build_snapshot("city", city_code="HHHT", as_of=AS_OF)
    textiles = city.sub_industries.get(code="TEXT")
    for _ in range(3):
        make_project(textiles, found["p"], completed_on="2026-01-10")
        make_project(textiles, found["p"], **ACCEPTED, satisfaction=4)
    with CaptureQueriesContext(connection) as after:
        build_snapshot("city", city_code="HHHT", as_of=AS_OF)
    assert len(after) == len(before)


def test_a_ranking_saved_for_the_day_is_the_one_reported(city, other_city):
    city_report_world.build(city, other_city)
    make_scorecard()
    saved = _command("scorecard", "--batch", "2024", "--save")
    (mine,) = [c for c in saved["cities"] if c["city"] == "HHHT"]
    # Later data would change the score computed afresh; the saved ranking stays the report's.
    LedgerEntry.objects.create(
        city=city,
        entry_on=AS_OF,
        kind="receipt",
        source="central",
        amount=Decimal("5000000.00"),
        reference="LATER",
    )
    assert _command("scorecard", "--batch", "2024")["cities"] != saved["cities"]
    snapshot = build_snapshot("city", city_code="HHHT", as_of=AS_OF)
    assert snapshot["scorecard"]["saved"] is True
    assert snapshot["scorecard"]["row"] == mine
    assert snapshot["scorecard"]["ranked"] == len(saved["cities"])


def test_long_tables_run_over_landscape_pages_with_their_headings_and_heads(report, tmp_path):
    """The second render: the wide lists made long, so headings fall near page ends."""
    s = json.loads(json.dumps(report.snapshot))
    sub, district = s["funnel"]["sub_industries"][0], s["funnel"]["districts"][0]
    s["funnel"]["sub_industries"] = [{**sub, "code": f"S{i:02d}"} for i in range(37)]
    s["funnel"]["districts"] = [{**district, "name": f"测试区{i:02d}"} for i in range(23)]
    league = s["providers"]["league"][0]
    s["providers"]["league"] = [{**league, "uscc": f"USCC{i:04d}"} for i in range(31)]
    for kind, n in (("acceptance", 45), ("completion", 29)):
        row = {**(s["overdue"]["acceptance"]["rows"][0]), "name": "逾期企业"}
        s["overdue"][kind] = {
            "total": n,
            "rows": [{**row, "uscc": f"{kind[:3]}{i:03d}"} for i in range(n)],
        }
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(rendering.render_pdf("city", s, snapshot_hash=snapshot_hash(s)))
    pages = [squash(t) for t in page_texts(pdf, layout=True)]
    sizes = [(round(w), round(h)) for w, h in page_sizes(pdf)]
    landscape = (842, 595)
    for heading, head, first in (
        ("按细分行业", "代码细分行业已申报", "S00"),
        ("按区县", "区县已申报", "测试区00"),
        ("服务商排行（", "统一社会信用代码服务商名称", "USCC0000"),
        ("逾期未申请验收（45个）", "统一社会信用代码企业名称", "acc000"),
        ("逾期未完工（29个）", "统一社会信用代码企业名称", "com000"),
    ):
        (i,) = [i for i, p in enumerate(pages) if heading in p]
        after = pages[i][pages[i].index(heading) :]
        assert head in after and first in after, heading  # heading, head and first row together
        assert sizes[i] == landscape, heading
    # Every row is printed, on landscape pages, each with the table's head repeated.
    for keys, head in (
        ([f"S{k:02d}" for k in range(37)], "代码细分行业"),
        ([f"USCC{k:04d}" for k in range(31)], "服务商名称"),
        ([f"com{k:03d}" for k in range(29)], "企业名称"),
    ):
        found = {key: [i for i, p in enumerate(pages) if key in p] for key in keys}
        assert all(found.values()), head
        on = {i for where in found.values() for i in where}
        assert all(sizes[i] == landscape and head in pages[i] for i in on), head
    assert len([i for i, size in enumerate(sizes) if size == landscape]) >= 4
