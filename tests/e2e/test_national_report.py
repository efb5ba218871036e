"""The ministry asks for the national report from the national dashboard in a real browser.

The dashboard's ranking column is read in the browser; the request goes through the dashboard's
button; the status page's progress bar is watched while a real Celery worker (Redis +
PostgreSQL) renders the PDF; the PDF is downloaded through its link, and its ranking (pdftotext:
the scores table and the ranked table by score) equals the dashboard's, city by city.
No sleeps: Playwright's `expect` waits, as in tests/e2e/test_report_flow.py.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from reports.models import ReportJob, ReportJobState
from tests.conftest import skip_without_worker_services
from tests.e2e.conftest import login
from tests.e2e.test_report_flow import PASSWORD, WORKER_TIMEOUT_MS, remove_files
from tests.reports import national_world

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    skip_without_worker_services,
]

AS_OF = national_world.AS_OF


def test_national_report_ranking_equals_the_dashboards(
    live_server, page: Page, start_celery_worker, ministry_user, city, other_city, tmp_path
):
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext not found: `make test` should have installed poppler-utils")
        pytest.skip("poppler-utils (pdftotext) is not installed")
    national_world.build(city, other_city)
    cache.clear()

    # --- the national dashboard's ranking column, as the ministry user sees it
    login(page, live_server, ministry_user.username, PASSWORD)
    page.goto(f"{live_server.url}/dashboard/?as_of={AS_OF.isoformat()}")
    expect(page.locator("#national-table")).to_be_visible()
    ranks = {}
    for tr in page.locator("#national-table > tbody > tr[data-city]").all():
        ranks[tr.get_attribute("data-city")] = (
            tr.locator("td.score > details > summary").all_inner_texts(),
            tr.locator("td.score-rank").inner_text().strip(),
        )
    assert ranks == {"HHHT": (["63.1"], "1 / 2"), "NB": (["0.0"], "2 / 2"), "XA": ([], "—")}
    expect(page.locator("#scorecard-versions")).to_contain_text("2024 年批次按评分卡 v1")

    # --- ask for the report through the dashboard's button: no worker yet, so it waits queued
    page.locator("#report-request-form").get_by_role(
        "button", name="生成全国试点汇总报告", exact=True
    ).click()
    page.wait_for_url(re.compile(r"/reports/\d+/$"))
    job = ReportJob.objects.get()
    assert (job.kind, job.params["as_of"], job.state) == (
        "national",
        AS_OF.isoformat(),
        ReportJobState.QUEUED,
    )
    progress = page.locator("#report-progress")
    bar = page.locator("#report-progress-bar")
    download = page.locator("#report-download")
    expect(progress.locator(".badge")).to_have_text("排队中")
    expect(bar).to_be_visible()
    page.evaluate("window.__reportPageMark = 'same document'")

    try:
        # --- a real worker renders it; the page follows by htmx polling
        start_celery_worker(
            {
                "REPORTS_RENDERER": "tests.reports.fakes.render_real_slowly",
                "FAKE_RENDER_SECONDS": "2",
            }
        )
        expect(progress.locator(".badge")).to_have_text("生成中", timeout=WORKER_TIMEOUT_MS)
        expect(bar).to_have_attribute("value", "10")
        expect(download).to_be_visible(timeout=WORKER_TIMEOUT_MS)
        expect(progress.locator(".badge")).to_have_text("已完成")
        assert page.evaluate("window.__reportPageMark") == "same document"
        with page.expect_download() as info:
            download.click()
        pdf = tmp_path / "national.pdf"
        info.value.save_as(pdf)
        assert info.value.suggested_filename.startswith("全国试点汇总报告_")
        assert pdf.read_bytes()[:5] == b"%PDF-"
    finally:
        remove_files(job)

    # --- the PDF ranks the cities as the dashboard did
    text = national_world.pdf_sections(pdf)
    in_scores, in_ranking = {}, {}
    for line in text["四、"]:
        found = re.match(r"^\s*\S+（(\w+)）.*\s(\d+\.\d)\s+(\d+\s*/\s*\d+)\s+\S+\s*$", line)
        if found:
            in_scores[found.group(1)] = ([found.group(2)], found.group(3))
    for line in text["五、"]:
        found = re.match(r"^\s*(\d+)\s+\S+（(\w+)）\s+\d{4} 年 v\d+\s", line)
        if found:
            in_ranking[found.group(2)] = found.group(1)
    scored = {code: (score, rank) for code, (score, rank) in ranks.items() if score}
    squash = "".join
    assert {c: (s, squash(r.split())) for c, (s, r) in in_scores.items()} == {
        c: (s, squash(r.split())) for c, (s, r) in scored.items()
    }
    assert in_ranking == {c: r.split("/")[0].strip() for c, (_, r) in scored.items()}
