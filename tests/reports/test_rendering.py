"""The PDF reports end to end: snapshot → templates → WeasyPrint → text and fonts via poppler."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from assessments import indicators
from assessments.models import Assessment, State
from assessments.selectors import LATEST_FIRST
from assessments.services import assessment_preview, refresh_current_level
from cities.models import Enterprise, PilotCity
from reports import rendering
from reports.snapshots import build_snapshot, snapshot_hash
from tests.assessments.factories import AssessmentFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed"),
]

EVIL = '<img src="http://example.invalid/x.png"> 与 <b>粗体</b>'


@pytest.fixture
def seeded(db: Any) -> None:
    call_command("seed_demo", stdout=io.StringIO())


def render(tmp_path: Path, *args: str) -> tuple[str, str, Path]:
    """Run `render_report`; return its output, the PDF's text and the PDF's path."""
    out = io.StringIO()
    pdf = tmp_path / f"{args[0]}.pdf"
    call_command("render_report", *args, "--output", str(pdf), stdout=out)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    return out.getvalue(), text, pdf


def squash(text: str) -> str:
    """Text without any whitespace: table cells wrap long values across lines."""
    return "".join(text.split())


def page_texts(pdf: Path, *, layout: bool = False) -> list[str]:
    """Each page's text (pdftotext ends every page with a form feed); with `layout`, in its
    physical layout: a table row's one-line cells on one line, in order."""
    mode = ["-layout"] if layout else []
    text = subprocess.run(
        ["pdftotext", *mode, "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return text.split("\f")[:-1]


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    """Each page's (width, height) in points, from pdfinfo."""
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "100000", str(pdf)], capture_output=True, check=True, text=True
    ).stdout
    found = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.MULTILINE)
    return [(float(w), float(h)) for w, h in found]


def test_city_report_shows_exactly_what_compliance_computes(seeded, tmp_path):
    out = io.StringIO()
    call_command("compliance", "HHHT", stdout=out)
    expected = json.loads(out.getvalue())

    printed, text, pdf = render(tmp_path, "city", "--city", "HHHT")

    flat = squash(text)
    assert "呼和浩特市" in flat
    assert "城市试点绩效报告" in flat
    for s in expected["sub_industries"]:
        ratio = "—" if s["ratio"] is None else f"{Decimal(s['ratio']) * 100:.2f}%"  # a percentage
        row = squash(
            f"{s['code']} {s['name']} {s['denominator']} {s['at_or_above']} {ratio}"
            f" {s['at_or_above'] + s['shortfall']} {s['shortfall']}"
        )
        assert row in flat, row
    digest = printed.split("snapshot ")[1].split()[0]
    pages = int(printed.split("pages ")[1].split()[0])
    assert pages >= 4
    # The footer on every page: the snapshot's hash and page numbers.
    assert flat.count(digest) >= pages
    assert f"第{pages}页/共{pages}页" in flat
    # Every roster enterprise is in the appendix.
    for uscc in Enterprise.objects.filter(city__code="HHHT").values_list("uscc", flat=True):
        assert uscc in flat

    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True)
    cjk = [line.split() for line in fonts.stdout.splitlines() if "Noto-Sans-CJK" in line]
    assert cjk, fonts.stdout
    name, emb, sub = cjk[0][0], cjk[0][-5], cjk[0][-4]
    assert "+" in name  # a subset font's name carries a tag: ABCDEF+Noto-Sans-CJK-SC
    assert (emb, sub) == ("yes", "yes")


def test_city_report_speaks_to_officials_not_developers(seeded, tmp_path):
    _, text, _ = render(tmp_path, "city", "--city", "HHHT")
    flat = squash(text)
    for developer in ("manage.py", "compliance HHHT", "SHA-256", "JSON", "⌈"):
        assert developer not in flat, developer
    assert re.search(r"占比不低于\d+%。", flat)  # the rule's ratio as a percentage, not 0.90
    assert re.search(r"全市\d+家\d+家", flat)  # a count target and its actual: "70 家", "55 家"
    assert re.search(r"\d+/\d+家计入分母企业中", flat)  # counts carry their unit
    # No raw ratios like 0.7143, as a cell of their own (squashed, a money cell "0.00" runs
    # into the next one: "0.0030,000.00").
    assert not re.search(r"(?<!\S)0\.\d{4}(?!\S)", text)


def test_user_text_is_escaped_and_nothing_outside_static_is_fetched(seeded, tmp_path, monkeypatch):
    enterprise = Enterprise.objects.filter(city__code="HHHT").order_by("uscc").first()
    assert enterprise is not None
    Enterprise.objects.filter(pk=enterprise.pk).update(name=EVIL)
    fetched: list[str] = []
    original = rendering.SafeFetcher.fetch

    def spy(self: Any, url: str, headers: Any = None) -> Any:
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(rendering.SafeFetcher, "fetch", spy)

    snapshot = build_snapshot("city", city_code="HHHT")
    html = rendering.render_html("city", snapshot, snapshot_hash=snapshot_hash(snapshot))
    assert "&lt;img src=&quot;http://example.invalid/x.png&quot;&gt;" in html
    assert "<img" not in html and "<b>粗体</b>" not in html
    assert "&lt;b&gt;粗体&lt;/b&gt;" in html

    _, text, _ = render(tmp_path, "city", "--city", "HHHT")
    flat = squash(text)  # shown literally (a long name wraps inside its table cell)
    for piece in ("<img", 'src="http://example.invalid/', "<b>粗体</b>"):
        assert piece in flat, piece
    assert fetched and all(url.startswith("static:") for url in fetched), fetched

    for url in (
        "http://example.invalid/x.png",
        "https://example.invalid/x.css",
        "file:///etc/passwd",
        "static:../../settings.py",
        "ftp://example.invalid/x",
    ):
        with pytest.raises(rendering.FetchRefused):
            original(rendering.safe_fetcher, url)
    with pytest.raises(rendering.FetchRefused):
        rendering.safe_fetcher("http://example.invalid/x.png")
    assert rendering.safe_fetcher("static:reports/pdf.css").read().startswith(b"/*")
    assert rendering.safe_fetcher("data:text/plain,ok").read() == b"ok"


def test_snapshot_hash_is_stable_and_follows_confirmed_levels(
    seeded, django_assert_max_num_queries
):
    # constant: reuses the dashboard's set-based reads (+1: the targets counted from projects;
    # +37: the pilot-management sections, reports/city_sections.py: funnel 8, overdue 2,
    # acceptance 2, funds 3, provider scores 3, the batch's scorecard 18 (3 when a ranking is
    # saved for the day), samples 4: the demo city has three)
    with django_assert_max_num_queries(57):
        first = build_snapshot("city", city_code="HHHT")
    again = build_snapshot("city", city_code="HHHT")
    assert snapshot_hash(first) == snapshot_hash(again)
    assert json.loads(json.dumps(first)) == first  # JSON values only

    latest = (
        Assessment.objects.filter(enterprise__city__code="HHHT", state=State.CONFIRMED)
        .order_by(*LATEST_FIRST)
        .first()
    )
    assert latest is not None and latest.level is not None
    Assessment.objects.filter(pk=latest.pk).update(level=(latest.level + 1) % 5)
    refresh_current_level([latest.enterprise_id])  # changed past the services, kept as they would
    changed = build_snapshot("city", city_code="HHHT")
    assert snapshot_hash(changed) != snapshot_hash(first)

    with pytest.raises(LookupError):
        build_snapshot("city", city_code="NOPE")
    with pytest.raises(LookupError):
        build_snapshot("assessment", assessment_id=0)


def test_national_report_lists_every_city(seeded, tmp_path):
    _, text, _ = render(tmp_path, "national")
    flat = squash(text)
    assert "全国试点汇总报告" in flat
    cities = list(PilotCity.objects.values_list("name", "code"))
    assert cities
    for name, code in cities:
        assert f"{name}（{code}）" in flat


def test_national_report_figures_are_those_of_compliance_and_the_ministry_dashboard(
    seeded, tmp_path, client, django_assert_max_num_queries
):
    out = io.StringIO()
    call_command("compliance", "--all", stdout=out)
    expected = {d["city"]: d for d in map(json.loads, out.getvalue().splitlines())}
    assert expected

    cache.clear()  # cold, as a report job finds it after a change
    # Cities, denominators, latest levels, sub-industries, little giants, the cover's issuer:
    # the national views do not show the below-scale uplift, so its baseline is not read.
    # Issue 15: + funnel totals (1), funds shares (2), the batches' cities and scorecards (3),
    # the scorecard's raw values (10) and the samples (4: the demo city has three; 1 when none).
    with django_assert_max_num_queries(26):
        snapshot = build_snapshot("national")
    rows = {r["code"]: r for r in snapshot["rows"]}
    assert set(rows) == set(expected)
    failing = []
    for code, e in expected.items():
        subs = e["sub_industries"]
        r = rows[code]
        assert r["subs_compliant"] == sum(1 for x in subs if x["compliant"] is True)
        assert r["subs_applicable"] == sum(1 for x in subs if x["compliant"] is not None)
        assert (r["giants_at"], r["giants_total"]) == (
            e["little_giants"]["at_or_above"],
            e["little_giants"]["total"],
        )
        assert r["denominator"] == sum(x["denominator"] for x in subs)
        assert r["at_or_above"] == sum(x["at_or_above"] for x in subs)
        assert r["compliant"] is e["city_compliant"]
        failing += [
            (code, x["code"], x["denominator"], x["at_or_above"], x["ratio"], x["shortfall"])
            for x in subs
            if x["compliant"] is False
        ]
    shown = [
        (f["city_code"], f["code"], f["denominator"], f["at_or_above"], f["ratio"], f["shortfall"])
        for f in snapshot["non_compliant"]
    ]
    assert sorted(shown) == sorted(failing)
    totals = snapshot["totals"]
    assert totals["cities_compliant"] == sum(1 for e in expected.values() if e["city_compliant"])
    assert totals["denominator"] == sum(r["denominator"] for r in rows.values())

    # The ministry's dashboard, computed afresh, shows the same rows and totals.
    cache.clear()
    client.force_login(User.objects.get(username="demo_ministry"))
    dash = client.get(reverse("oversight:national_dashboard"), {"sort": "city"}).context["dash"]
    for d in dash.rows:
        r = rows[d.code]
        assert (d.subs_compliant, d.subs_applicable, d.giants_at, d.giants_total) == (
            r["subs_compliant"],
            r["subs_applicable"],
            r["giants_at"],
            r["giants_total"],
        )
        assert (d.at_or_above, d.denominator, d.compliant) == (
            r["at_or_above"],
            r["denominator"],
            r["compliant"],
        )
        assert (None if d.share_percent is None else f"{d.share_percent:.2f}") == r["share_percent"]
    assert len(dash.rows) == len(rows)
    assert dash.cities_compliant == totals["cities_compliant"]

    # And the PDF prints them: each city's figures in its row, each failing sub-industry.
    _, text, _ = render(tmp_path, "national")
    flat = squash(text)
    for r in rows.values():
        share = "—" if r["share_percent"] is None else f"{r['share_percent']}%"
        figures = (
            f"{r['subs_compliant']}/{r['subs_applicable']}{r['giants_at']}/{r['giants_total']}"
            f"{r['at_or_above']}/{r['denominator']}{share}"
        )
        assert figures in flat, figures
    for city_code, code, den, at, ratio, shortfall in failing:
        percent = f"{Decimal(ratio) * 100:.2f}%"
        assert f"（{city_code}）{code}" in flat and f"{den}{at}{percent}{shortfall}" in flat


def test_national_report_is_on_landscape_pages_after_its_cover_with_header_and_footer(
    seeded, tmp_path
):
    snapshot = build_snapshot("national")
    model = snapshot["rows"][0]
    # Enough cities for the table to run over several pages.
    snapshot["rows"] = [
        {**model, "code": f"T{i:03d}", "name": f"测试城市{i:03d}"} for i in range(120)
    ]
    snapshot["scorecards"] = []  # not its 120 score rows too: the city table is what is tested
    digest = snapshot_hash(snapshot)
    pdf = tmp_path / "national.pdf"
    pdf.write_bytes(rendering.render_pdf("national", snapshot, snapshot_hash=digest))
    sizes, texts = page_sizes(pdf), page_texts(pdf)
    assert len(sizes) == len(texts) > 3
    a4 = (595.0, 842.0)

    # The cover is portrait; every page after it landscape, so that one section follows another
    # on the same page (a change of page size would force a new page).
    assert (round(sizes[0][0]), round(sizes[0][1])) == (round(a4[0]), round(a4[1]))
    assert {(round(w), round(h)) for w, h in sizes[1:]} == {(round(a4[1]), round(a4[0]))}
    # The city table's pages: up to the next section (三, whose tables list the cities too).
    (nxt,) = [i for i, text in enumerate(texts) if "三、各试点城市改造项目与资金" in text]
    wide = [
        i
        for i, text in enumerate(texts[: nxt + 1])
        if "测试城市" in text.split("三、各试点城市改造项目与资金")[0]
    ]
    assert len(wide) >= 3 and wide == list(range(wide[0], wide[-1] + 1)), sizes
    for i, text in enumerate(texts):
        flat = squash(text)
        if i in wide:
            assert "城市批次区域省份类型剩余天数细分行业达标（个）小巨人达标（家）" in flat, (
                i
            )  # repeated head
        if i > 0:
            assert "全国试点汇总报告·" in flat  # running header
        assert digest in flat and f"第{i + 1}页/共{len(texts)}页" in flat, i
    table = squash("".join(texts[i] for i in wide)).split("三、各试点城市改造项目与资金")[0]
    for i in range(120):
        assert f"测试城市{i:03d}（T{i:03d}）" in table
    assert table.count("全国合计") == 1  # the totals once, after the last city


def test_assessment_plan_shows_option_labels_not_codes(seeded, tmp_path):
    enterprise = Enterprise.objects.filter(city__code="HHHT").order_by("uscc").first()
    submitted = AssessmentFactory(submitted=True, enterprise=enterprise)
    indicator = indicators.indicator_for(submitted.revision)
    scored = assessment_preview(assessment=submitted)
    assert scored is not None and scored.next_level is not None
    questions = [p for p in scored.next_level.plan if p.kind == "question"]
    multi = [p for p in questions if indicator.question(p.code).kind == "multi"]
    assert questions and multi

    snapshot = build_snapshot("assessment", assessment_id=submitted.pk)
    page = rendering.render_html("assessment", snapshot, snapshot_hash=snapshot_hash(snapshot))
    cells = re.findall(r'<td class="answer">(.*?)</td>', page, re.DOTALL)
    shown = [html.unescape(x) for c in cells for x in re.findall(r"<div>(.*?)</div>", c)]
    codes = {o.code for q in indicator.questions for o in q.options}
    labels = {o.label for q in indicator.questions for o in q.options}
    assert shown and not codes & set(shown)
    assert set(shown) <= labels | {"未达一级"} | {f"{n} 级" for n in range(1, 5)}

    _, text, _ = render(tmp_path, "assessment", "--assessment", str(submitted.pk))
    flat = squash(text)
    for item in questions:
        by_code = {o.code: o.label for o in indicator.question(item.code).options}
        for code in {*item.current.split(","), *item.target.split(",")}:
            assert squash(by_code[code]) in flat, (item.code, code)
    for item in multi:  # "F,G,N" → "B,C,…": the codes as scored never reach the page
        assert squash(item.target) not in flat
        if "," in item.current:
            assert squash(item.current) not in flat
    # What the next level needs, next to what is reached; only the options still to tick.
    assert re.search(r"其中约束性场景：已达\d+个，需\d+个", flat)
    assert "个其中的约束性场景" not in flat
    for item in multi:
        assert f"再勾选{len(item.to_tick)}项：" in flat


def test_assessment_report_shows_level_pledge_and_assessor(seeded, tmp_path):
    enterprise = Enterprise.objects.filter(city__code="HHHT").order_by("uscc").first()
    submitted = AssessmentFactory(submitted=True, enterprise=enterprise)
    _, text, _ = render(tmp_path, "assessment", "--assessment", str(submitted.pk))
    flat = squash(text)
    assert "企业数字化水平评测报告" in flat
    assert submitted.level_name in flat and submitted.level_name != "—"
    assert "张伟" in flat  # the pledge signer
    assert "数字化基础" in flat
    # Scores without trailing zeros ("16.85 / 50", not "16.850 / 50.000"); exact in the data.
    assert ".000" not in flat and not re.search(r"\d\.\d*0/", flat)
    assert "16.85/50" in flat and "13.125/30" in flat and "15/20" in flat

    assessor = User.objects.get(username="demo_assessor")
    confirmed = AssessmentFactory(confirmed=True, enterprise=enterprise, confirmed_by=assessor)
    _, text, _ = render(tmp_path, "assessment", "--assessment", str(confirmed.pk))
    assert "确认人现场评定员" in squash(text)


def test_command_explains_bad_arguments(seeded, tmp_path):
    out = str(tmp_path / "x.pdf")
    with pytest.raises(CommandError, match="NOPE"):
        call_command("render_report", "city", "--city", "NOPE", "--output", out)
    with pytest.raises(CommandError, match="--city"):
        call_command("render_report", "city", "--output", out)
    with pytest.raises(CommandError, match="--assessment"):
        call_command("render_report", "assessment", "--output", out)
    with pytest.raises(CommandError, match="不存在"):
        call_command("render_report", "assessment", "--assessment", "999999", "--output", out)
