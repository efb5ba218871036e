"""Download names (sme_pilot.downloads): one safe name, one header, set in one place only."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from django.http import HttpResponse
from django.urls import reverse

from reports import services
from reports.models import ReportJobState
from sme_pilot.downloads import MAX_FILENAME_BYTES, attachment, download_filename
from tests.assessments.factories import AssessmentFactory
from tests.reports.fakes import FAKE_PDF as PDF

ROOT = Path(__file__).resolve().parent.parent


def test_a_slash_in_a_name_keeps_the_whole_name():
    assert download_filename("甲/乙\\丙有限公司评测报告.pdf") == "甲／乙＼丙有限公司评测报告.pdf"


def test_quotes_newlines_and_control_characters_cannot_reach_the_header():
    name = download_filename('a"b\r\nContent-Type: text/html\x00\x1b;.xlsx')
    assert not re.search(r'["\r\n\x00-\x1f\x7f/\\]', name)
    assert name == "a＂b Content-Type： text／html ;.xlsx"
    header = attachment(HttpResponse(), 'x"; filename="evil.exe\n.pdf')["Content-Disposition"]
    assert "\n" not in header and 'filename="evil.exe' not in header
    assert header.startswith("attachment; filename")


def test_a_very_long_name_is_bounded_in_bytes_and_keeps_its_extension():
    name = download_filename("很长的企业名称" * 100 + ".pdf")
    assert len(name.encode()) <= MAX_FILENAME_BYTES
    assert len(name.encode()) > MAX_FILENAME_BYTES - 3  # cut at a whole character, not shorter
    assert name.endswith(".pdf") and name.startswith("很长的企业名称很长")


def test_empty_or_dots_only_names_fall_back():
    assert download_filename("  ..  ") == "download"
    assert download_filename(".xlsx") == "xlsx"
    assert download_filename(" 报告 .pdf ") == "报告.pdf"


def test_chinese_goes_out_as_rfc5987_filename_star():
    header = attachment(HttpResponse(), "呼和浩特/包头.pdf")["Content-Disposition"]
    assert header == f"attachment; filename*=utf-8''{quote('呼和浩特／包头.pdf')}"


def test_content_disposition_is_set_only_in_sme_pilot_downloads():
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {".venv", "tests", "node_modules", "staticfiles"}:
            continue
        if rel.as_posix() == "sme_pilot/downloads.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"Content-Disposition|content_disposition_header|as_attachment", text):
            offenders.append(rel.as_posix())
    assert offenders == []


@pytest.mark.django_db
def test_report_download_of_an_enterprise_with_a_slash_keeps_the_whole_name(
    client,
    enterprise,
    ministry_user,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTS_RENDERER = "tests.reports.fakes.render"
    enterprise.name = "甲/乙数字科技有限公司"
    enterprise.save()
    assessment = AssessmentFactory(enterprise=enterprise, submitted=True)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.report_request(
            actor=ministry_user, kind="assessment", assessment_id=assessment.pk
        )
    job.refresh_from_db()
    assert job.state == ReportJobState.DONE
    client.force_login(ministry_user)
    response = client.get(reverse("reports:report_download", args=[job.pk]))
    assert b"".join(response.streaming_content) == PDF
    response.close()
    disposition = response["Content-Disposition"]
    (encoded,) = re.findall(r"filename\*=utf-8''([^;]+)", disposition)
    name = unquote(encoded)
    assert name.startswith("企业数字化水平评测报告_甲／乙数字科技有限公司_")
    assert "/" not in name and name.endswith(".pdf")
