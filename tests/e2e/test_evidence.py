"""An enterprise on a phone (390×844) adds a photo to a questionnaire item through the page's
htmx upload, sees it listed without leaving the page, downloads it, sees a look-alike refused
with the reason next to the item, and deletes the photo. Nothing is wider than the phone.

Uploads are awaited by their responses (`expect_response`), never by sleeping.
"""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from assessments.models import Evidence
from tests.assessments.factories import AssessmentFactory
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Sme-pilot-2026!"
PHONE = {"width": 390, "height": 844}
LIMIT = 50 * 1024
NAME = "车间设备联网现场照片（数控机床与数据采集网关）.jpg"


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (200, 150), os.urandom(200 * 150 * 3)).save(buffer, "JPEG")
    return buffer.getvalue()


def fits_the_phone(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def upload(page: Page, item: str, name: str, content: bytes, mime: str) -> int:
    area = page.locator(f"#ev-{item}")
    area.locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": content}]
    )
    with page.expect_response(lambda r: r.url.endswith("/evidence/")) as info:
        area.get_by_role("button", name="上传").click()
    return info.value.status


def test_a_photo_is_added_to_an_item_on_a_phone_and_downloaded(
    live_server, browser, enterprise_user, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.EVIDENCE_MAX_FILE_BYTES = LIMIT
    draft = AssessmentFactory(enterprise=enterprise_user.enterprise)
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    login(page, live_server, enterprise_user.username, PASSWORD)
    page.goto(f"{live_server.url}/assessments/{draft.pk}/")
    area = page.locator("#ev-Q1")
    expect(area.locator("label")).to_have_text("选择文件：")
    page.evaluate("window.__evidenceMark = 'same document'")

    content = photo()
    assert upload(page, "Q1", NAME, content, "image/jpeg") == 200
    link = area.locator("a.evidence-name")
    expect(link).to_have_text(NAME)
    expect(area).to_contain_text("KB")
    assert page.evaluate("window.__evidenceMark") == "same document"  # swapped, not reloaded
    row = Evidence.objects.get(assessment=draft, item="Q1")
    assert row.original_name == NAME and row.content_type == "image/jpeg"

    # The item's area and the page stay within the phone's width (a long name wraps).
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert fits_the_phone(page)

    with page.expect_download() as info:
        link.click()
    saved = tmp_path / "download.jpg"
    info.value.save_as(saved)
    assert info.value.suggested_filename == NAME
    assert saved.read_bytes() == content

    # A web page named .jpg is refused, with the reason next to the item; nothing is stored.
    html = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
    assert upload(page, "Q1", "假照片.jpg", html, "image/jpeg") == 400
    expect(area.locator(".field-error")).to_have_text("只能上传 JPG、PNG 图片或 PDF 文件")
    expect(link).to_have_text(NAME)  # the stored photo is still listed
    assert Evidence.objects.filter(assessment=draft).count() == 1
    assert fits_the_phone(page)

    # Too large: refused by the page before anything is sent.
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/evidence/" in r.url else None)
    file_input = area.locator("input[type=file]")
    file_input.set_input_files(
        files=[{"name": "大.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * (LIMIT + 1)}]
    )
    area.get_by_role("button", name="上传").click()
    assert file_input.evaluate("input => input.validationMessage") == "文件不能超过 50 KB"
    assert sent == []

    # Deleted, once confirmed: gone from the list and from the database.
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(lambda r: r.url.endswith("/delete/")) as deleted:
        area.get_by_role("button", name="删除").click()
    assert deleted.value.status == 200
    expect(area.locator("a.evidence-name")).to_have_count(0)
    assert not Evidence.objects.filter(assessment=draft).exists()
    context.close()
