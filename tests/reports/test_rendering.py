"""The PDF reports end to end: snapshot → templates → WeasyPrint → text and fonts via poppler."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from assessments.models import Assessment, State
from assessments.selectors import LATEST_FIRST
from cities.models import Enterprise, PilotCity, User
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


def test_city_report_shows_exactly_what_compliance_computes(seeded, tmp_path):
    out = io.StringIO()
    call_command("compliance", "HHHT", stdout=out)
    expected = json.loads(out.getvalue())

    printed, text, pdf = render(tmp_path, "city", "--city", "HHHT")

    flat = squash(text)
    assert "呼和浩特市" in flat
    assert "试点城市绩效报告" in flat
    for s in expected["sub_industries"]:
        row = squash(
            f"{s['code']} {s['name']} {s['denominator']} {s['at_or_above']} {s['ratio']}"
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
    with django_assert_max_num_queries(16):  # constant: reuses the dashboard's set-based reads
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
    changed = build_snapshot("city", city_code="HHHT")
    assert snapshot_hash(changed) != snapshot_hash(first)

    with pytest.raises(LookupError):
        build_snapshot("city", city_code="NOPE")
    with pytest.raises(LookupError):
        build_snapshot("assessment", assessment_id=0)


def test_national_report_lists_every_city(seeded, tmp_path):
    _, text, _ = render(tmp_path, "national")
    flat = squash(text)
    assert "全国试点进展报告" in flat
    cities = list(PilotCity.objects.values_list("name", "code"))
    assert cities
    for name, code in cities:
        assert f"{name}（{code}）" in flat


def test_assessment_report_shows_level_pledge_and_assessor(seeded, tmp_path):
    enterprise = Enterprise.objects.filter(city__code="HHHT").order_by("uscc").first()
    submitted = AssessmentFactory(submitted=True, enterprise=enterprise)
    _, text, _ = render(tmp_path, "assessment", "--assessment", str(submitted.pk))
    flat = squash(text)
    assert "企业数字化水平评测报告" in flat
    assert submitted.level_name in flat and submitted.level_name != "—"
    assert "张伟" in flat  # the pledge signer
    assert "数字化基础" in flat

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
