"""A ministry user asks for a city's performance report from its dashboard in a real browser.

The request goes through the dashboard's button; the status page's htmx progress bar is watched
while a real Celery worker (Redis + PostgreSQL) takes the job, until it turns into a download
link in the same document. The downloaded PDF's text (pdftotext) must carry the figures the
dashboard showed in the browser: every sub-industry's denominator, level-2+ count, ratio, needed
count and shortfall, and the headline counts.

Nothing is synchronised by sleeping: the page is awaited with Playwright's `expect`. The worker
is started only once the queued state has been seen, and renders with the real renderer after a
pause (tests/reports/fakes.py render_real_slowly) so that the rendering state can be seen too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from xml.etree import ElementTree

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from playwright.sync_api import Page, expect

from reports.models import ReportJob, ReportJobState
from tests.assessments.factories import confirmed_level
from tests.cities.factories import EnterpriseFactory, SubIndustryFactory
from tests.conftest import skip_without_worker_services
from tests.e2e.conftest import login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # As in the worker tests: skip before a transactional fixture flushes the database; in CI
    # the worker fixture fails loudly instead.
    skip_without_worker_services,
]

PASSWORD = "Sme-pilot-2026!"
# Generous: a worker process has to start, import Django and render with WeasyPrint on a
# shared two-core machine.
WORKER_TIMEOUT_MS = 120_000


@dataclass(frozen=True)
class DashboardRow:
    code: str
    name: str
    applicable: bool
    denominator: str
    at_or_above: str
    ratio: str  # data-ratio, e.g. "0.7273"; "" when not applicable
    percent: str  # as shown, e.g. "72.73%" or "—"
    needed: str
    shortfall: str


def confirmed(enterprise, level: int, days_ago: int = 10) -> None:
    confirmed_level(enterprise, level, days_ago=days_ago)


def seed(city, food) -> None:
    """Four sub-industries with different outcomes, a little giant and a below-scale firm."""
    text = SubIndustryFactory(city=city, code="TEXT", name="纺织服装")
    bio = SubIndustryFactory(city=city, code="BIO", name="生物医药")
    mat = SubIndustryFactory(city=city, code="MAT", name="新材料")
    for i in range(10):  # FOOD: 7 of 10 at level 2+, plus a little giant at level 1
        confirmed(EnterpriseFactory(sub_industry=food), 2 if i < 7 else 1)
    confirmed(EnterpriseFactory(sub_industry=food, quality_tier="little_giant"), 1)
    for _ in range(3):  # TEXT: all at level 3
        confirmed(EnterpriseFactory(sub_industry=text), 3)
    for i in range(6):  # BIO: 2 of 6 at level 2+, one never assessed
        if i < 5:
            confirmed(EnterpriseFactory(sub_industry=bio), 2 if i < 2 else 1)
        else:
            EnterpriseFactory(sub_industry=bio)
    below = EnterpriseFactory(sub_industry=mat, above_scale=False)  # MAT: no denominator
    confirmed(below, 0, days_ago=100)
    confirmed(below, 2, days_ago=5)


def dashboard_rows(page: Page) -> list[DashboardRow]:
    rows = []
    for tr in page.locator("#compliance-table tbody tr[data-code]").all():
        code = tr.get_attribute("data-code") or ""
        label = tr.locator("td").nth(1).inner_text().strip()  # 特色食品（FOOD）
        assert label.endswith(f"（{code}）"), label
        ratio = tr.get_attribute("data-ratio") or ""
        rows.append(
            DashboardRow(
                code=code,
                name=label.removesuffix(f"（{code}）"),
                applicable=ratio != "",
                denominator=tr.locator("td.denominator").inner_text().strip(),
                at_or_above=tr.locator("td.at-or-above").inner_text().strip(),
                ratio=ratio,
                percent=tr.locator("td.ratio").inner_text().strip(),
                needed=tr.locator("td.needed").inner_text().strip(),
                shortfall=tr.locator("td.shortfall").inner_text().strip(),
            )
        )
    return rows


def squash(text: str) -> str:
    return "".join(text.split())


# --- the PDF's words with their positions (pdftotext -bbox-layout), to read cells and stats

XHTML = "{http://www.w3.org/1999/xhtml}"
ALIGN = 1.0  # points: left edges of one column, or tops of one line, agree closer than this
GAP = 8.0  # points between the words of one figure ("12 / 20") at most


@dataclass(frozen=True)
class Word:
    page: int
    x: float
    y: float
    right: float
    bottom: float
    text: str


def pdf_words(path) -> list[Word]:
    xhtml = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-bbox-layout", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    root = ElementTree.fromstring(xhtml)  # noqa: S314 - our own PDF's text
    return [
        Word(
            number,
            float(w.get("xMin", 0)),
            float(w.get("yMin", 0)),
            float(w.get("xMax", 0)),
            float(w.get("yMax", 0)),
            w.text or "",
        )
        for number, page in enumerate(root.iter(f"{XHTML}page"), 1)
        for w in page.iter(f"{XHTML}word")
    ]


def same_line(a: Word, b: Word) -> bool:
    return a.page == b.page and abs(a.y - b.y) < ALIGN


def same_column(a: Word, b: Word) -> bool:
    return a.page == b.page and abs(a.x - b.x) < ALIGN


def cell(words: list[Word], first: Word, until: float) -> str:
    """`first` and what wraps under it in its table cell: same left edge, next lines, above
    `until` (the next row)."""
    text, bottom, height = first.text, first.bottom, first.bottom - first.y
    for w in sorted(
        (w for w in words if same_column(w, first) and first.y < w.y < until), key=lambda w: w.y
    ):
        if w.y - bottom > height:
            break
        text, bottom = text + w.text, w.bottom
    return text


def pdf_table_row(words: list[Word], code: str) -> list[str]:
    """The cells of the compliance table's row for a sub-industry code, left to right. The
    compliance table is the report's first table by sub-industry; the funnel section later
    prints one row per sub-industry too."""
    heads = [w for w in words if w.text == code and sum(same_line(w, o) for o in words) >= 7]
    assert heads, f"no table row for {code} in the PDF"
    head = min(heads, key=lambda w: (w.page, w.y))
    until = min((w.y for w in words if same_column(w, head) and w.y > head.y + ALIGN), default=1e9)
    line = sorted((w for w in words if same_line(w, head)), key=lambda w: w.x)
    return [cell(words, w, until) for w in line]


def pdf_stat(words: list[Word], label: str) -> str:
    """The figure of a headline stat: the words printed just above its label, left-aligned."""
    labels = [w for w in words if w.text.startswith(label)]
    assert len(labels) == 1, f"expected one stat labelled {label} in the PDF, found {labels}"
    above = [w for w in words if same_column(w, labels[0]) and w.y < labels[0].y]
    assert above, f"no figure above {label} in the PDF"
    first = max(above, key=lambda w: w.y)
    figure = [first]
    for w in sorted((w for w in words if same_line(w, first) and w.x > first.x), key=lambda w: w.x):
        if w.x - figure[-1].right > GAP:
            break
        figure.append(w)
    return "".join(w.text for w in figure)


def remove_files(job: ReportJob) -> None:
    folder = default_storage.path("reports")
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            if name.startswith(f"{job.kind}-{job.pk}-"):
                os.unlink(os.path.join(folder, name))


def test_city_report_from_the_dashboard_matches_the_dashboard(
    live_server, page: Page, start_celery_worker, ministry_user, city, sub_industry, tmp_path
):
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext not found: `make test` should have installed poppler-utils")
        pytest.skip("poppler-utils (pdftotext) is not installed")
    seed(city, sub_industry)
    cache.clear()

    # --- the dashboard, as the ministry user sees it
    login(page, live_server, ministry_user.username, PASSWORD)
    page.goto(f"{live_server.url}/cities/HHHT/dashboard/")
    expect(page.locator("#compliance-table")).to_be_visible()
    rows = dashboard_rows(page)
    status = page.locator("#city-status").inner_text().strip()
    subs = page.locator("#subs-compliant").inner_text().strip()  # "1 / 3"
    counted = page.locator("#counted-level").inner_text().strip()  # "12 / 20"
    giants = page.locator("#little-giants p a").all_inner_texts()  # ["0", "1"]
    # The seed is read back as intended, so the comparison below is not between empty pages.
    assert sorted((r.code, r.denominator, r.at_or_above) for r in rows) == [
        ("BIO", "6", "2"),
        ("FOOD", "11", "7"),
        ("MAT", "0", "0"),
        ("TEXT", "3", "3"),
    ]
    assert [r.code for r in rows if not r.applicable] == ["MAT"]
    assert (status, squash(subs), squash(counted), giants) == ("未达标", "1/3", "12/20", ["0", "1"])

    # --- ask for the report through the dashboard's button: no worker yet, so it waits queued
    page.locator("#report-request-form").get_by_role(
        "button", name="生成城市试点绩效报告", exact=True
    ).click()
    page.wait_for_url(re.compile(r"/reports/\d+/$"))
    job = ReportJob.objects.get()
    assert page.url.endswith(f"/reports/{job.pk}/")
    assert (job.kind, job.params["city_code"], job.state) == ("city", "HHHT", ReportJobState.QUEUED)
    expect(page.locator("h1")).to_contain_text("呼和浩特市")
    progress = page.locator("#report-progress")
    bar = page.locator("#report-progress-bar")
    download = page.locator("#report-download")
    expect(bar).to_be_visible()
    expect(progress.locator(".badge")).to_have_text("排队中")
    expect(download).to_have_count(0)
    # A mark on this document: were the page reloaded or navigated, it would be gone.
    page.evaluate("window.__reportPageMark = 'same document'")

    try:
        # --- a real worker takes it: rendering (10 %), then the download link, by htmx polling
        start_celery_worker(
            {
                "REPORTS_RENDERER": "tests.reports.fakes.render_real_slowly",
                "FAKE_RENDER_SECONDS": "3",
            }
        )
        expect(progress.locator(".badge")).to_have_text("生成中", timeout=WORKER_TIMEOUT_MS)
        expect(bar).to_be_visible()
        expect(bar).to_have_attribute("value", "10")
        expect(download).to_be_visible(timeout=WORKER_TIMEOUT_MS)
        expect(progress.locator(".badge")).to_have_text("已完成")
        expect(bar).to_have_count(0)
        assert page.evaluate("window.__reportPageMark") == "same document"
        job.refresh_from_db()
        assert (job.state, job.attempts, job.progress_percent) == (ReportJobState.DONE, 1, 100)

        # --- download it through the link
        with page.expect_download() as info:
            download.click()
        pdf = tmp_path / "report.pdf"
        info.value.save_as(pdf)
        assert info.value.suggested_filename.startswith("城市试点绩效报告_呼和浩特市_")
        assert info.value.suggested_filename.endswith(".pdf")
        assert pdf.read_bytes()[:5] == b"%PDF-"
        assert page.evaluate("window.__reportPageMark") == "same document"
    finally:
        remove_files(job)

    # --- the PDF says what the dashboard said
    words = pdf_words(pdf)
    text = "".join(w.text for w in words)
    assert "城市试点绩效报告" in text and "呼和浩特市（HHHT）" in text
    for r in rows:
        # 代码 细分行业 分母 二级及以上 比例 需达到 缺口 (判定 预测)
        shown = pdf_table_row(words, r.code)[:7]
        if r.applicable:
            # The ratio as the dashboard holds it (data-ratio) or as it shows it (percent).
            assert shown[4] in (r.ratio, r.percent), (r, shown)
            expected = [r.code, r.name, r.denominator, r.at_or_above, shown[4], r.needed]
        else:  # the dashboard shows no "needed" for a sub-industry without a denominator
            assert (r.denominator, r.percent, r.needed) == ("0", "—", "—"), r
            expected = [r.code, r.name, r.denominator, r.at_or_above, r.percent, shown[5]]
        assert shown == [*expected, r.shortfall], r
    assert pdf_stat(words, "“应改尽改”总体判定") == status
    # The same counts, which the report prints with their unit ("1 / 3 个", "36 / 66 家").
    assert pdf_stat(words, "细分行业达标") == squash(subs) + "个"
    assert pdf_stat(words, "计入分母企业中") == squash(counted) + "家"
    assert pdf_stat(words, "小巨人达到") == "/".join(giants) + "家"
