"""One name per report (issue 12): the ReportKind label on the request buttons, the job page,
the PDF's cover and title (its metadata) and the download's file name."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.urls import reverse

from projects.models import Project
from reports.choices import ReportKind
from reports.models import ReportJob, ReportJobState
from tests.assessments.factories import AssessmentFactory
from tests.conftest import drain

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed"),
]

AS_OF = "2026-06-30"


def _pdf_title_and_text(pdf: Path) -> tuple[str, str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, text=True).stdout
    (title,) = re.findall(r"^Title:\s+(.*)$", info, re.MULTILINE)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    return title, text


def _button_texts(html: str) -> list[str]:
    return [" ".join(b.split()) for b in re.findall(r"<button[^>]*>(.*?)</button>", html, re.S)]


@pytest.mark.parametrize("kind", list(ReportKind), ids=lambda k: k.value)
def test_a_report_has_one_name_from_button_to_file(
    client, ministry_user, enterprise, settings, tmp_path, django_capture_on_commit_callbacks, kind
):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTS_RENDERER = "reports.rendering.render_pdf"  # the real PDF
    assessment = AssessmentFactory(enterprise=enterprise, submitted=True)
    name = kind.label
    client.force_login(ministry_user)

    # The request buttons: 我的报告, and for an assessment its result page too; a dossier's is on
    # the enterprise's project page (一企一档).
    if kind == ReportKind.DOSSIER:
        project = Project.objects.create(enterprise=enterprise)
        page = client.get(reverse("projects:project_detail", args=[project.pk]))
    else:
        page = client.get(reverse("reports:report_list"))
    buttons = _button_texts(page.content.decode())
    assert f"生成{name}" in buttons
    if kind == ReportKind.ASSESSMENT:
        result = client.get(reverse("assessments:assessment_result", args=[assessment.pk]))
        assert f"生成{name}" in _button_texts(result.content.decode())

    data = {
        ReportKind.CITY: {"city_code": "HHHT"},
        ReportKind.NATIONAL: {},
        ReportKind.ASSESSMENT: {"assessment_id": assessment.pk},
        ReportKind.DOSSIER: {"enterprise_id": enterprise.pk},
    }[kind]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:report_request"), {"kind": kind.value, "as_of": AS_OF, **data}
        )
    job = ReportJob.objects.get()
    assert job.state == ReportJobState.DONE, job.error_message

    # The job page: its title and heading.
    page = client.get(response["Location"]).content.decode()
    assert re.search(rf"<title>{name}\b", page)
    assert re.search(rf"<h1>{name}\b", page)

    # The download's name: "<name>_<subject>_<as of>.pdf".
    download = client.get(reverse("reports:report_download", args=[job.pk]))
    (encoded,) = re.findall(r"filename\*=utf-8''([^;]+)", download["Content-Disposition"])
    subject = {
        ReportKind.CITY: "呼和浩特市",
        ReportKind.NATIONAL: "全国",
        ReportKind.ASSESSMENT: enterprise.name,
        ReportKind.DOSSIER: enterprise.name,
    }[kind]
    assert unquote(encoded) == f"{name}_{subject}_{AS_OF}.pdf"

    # The PDF: its title (document metadata, from <title>) and its cover.
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(drain(download))
    title, text = _pdf_title_and_text(pdf)
    assert title.startswith(f"{name} · ")
    cover = text.split("\f")[0]
    assert name in "".join(cover.split())
