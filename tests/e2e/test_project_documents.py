"""An enterprise on a phone (390×844) uploads a PDF to its project's 一企一档 through the page's
form, sees it listed under its stage, downloads it byte-identical; another enterprise gets 404
for the same download. Nothing is wider than the phone."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from projects.models import Project, ProjectDocument
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Sme-pilot-2026!"
PHONE = {"width": 390, "height": 844}
NAME = "数字化改造诊断报告（车间设备联网与数据采集）.pdf"
PDF = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n% browser upload\n%%EOF\n"
)


def test_a_pdf_is_uploaded_to_the_project_and_downloaded(
    live_server, browser, enterprise_user, other_enterprise_user, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    day = dt.date(2025, 3, 1)
    project = Project.objects.create(
        enterprise=enterprise_user.enterprise, applied_on=day, admitted_on=day, diagnosed_on=day
    )
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    login(page, live_server, enterprise_user.username, PASSWORD)
    page.goto(f"{live_server.url}/my-project/")
    expect(page.locator("#documents-missing")).to_contain_text("已诊断：诊断报告")

    form = page.locator("#document-upload")
    form.locator("select[name=stage]").select_option("diagnosed")
    form.locator("select[name=doc_type]").select_option("diagnosis_report")
    form.locator("input[type=file]").set_input_files(
        files=[{"name": NAME, "mimeType": "application/pdf", "buffer": PDF}]
    )
    form.get_by_role("button", name="上传").click()
    page.wait_for_load_state("domcontentloaded")
    link = page.locator("table.documents a", has_text=NAME)
    expect(link).to_have_count(1)
    expect(page.locator("#documents-complete")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    row = ProjectDocument.objects.get(project=project)
    assert row.original_name == NAME

    with page.expect_download() as info:
        link.click()
    saved = tmp_path / "download.pdf"
    info.value.save_as(saved)
    assert info.value.suggested_filename == NAME
    assert saved.read_bytes() == PDF
    href = link.get_attribute("href")
    context.close()

    other = browser.new_context(locale="zh-CN", viewport=PHONE)
    other_page = other.new_page()
    login(other_page, live_server, other_enterprise_user.username, PASSWORD)
    response = other_page.request.get(f"{live_server.url}{href}")
    assert response.status == 404
    other.close()
