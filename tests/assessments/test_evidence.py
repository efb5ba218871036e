"""Evidence files (佐证材料) per questionnaire item: recognised by content, bounded, stored under
random names outside the web root, uploaded and deleted only while the assessment is editable by
whoever may edit its answers, listed and downloaded by whoever can see it; 404 for the rest.

Every refusal is checked for its message and for leaving nothing behind: no row, no file.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError
from django.urls import reverse
from PIL import Image

from accounts.models import Role
from assessments import evidence, services
from assessments.models import Evidence, Purpose
from sme_pilot.storage import private_storage
from tests.assessments.evidence_files import PDF, image, jpeg, noisy_png, upload
from tests.assessments.factories import AssessmentFactory
from tests.cities.factories import UserFactory

STORED_NAME = re.compile(r"^evidence/[0-9a-f]{2}/[0-9a-f]{32}\.(jpg|png|webp|pdf)$")


# --- the content, without a database -------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (image("JPEG"), evidence.JPEG),
        (image("PNG"), evidence.PNG),
        (image("WEBP"), evidence.WEBP),
        (PDF, evidence.PDF),
    ],
    ids=["jpeg", "png", "webp", "pdf"],
)
def test_files_are_recognised_by_their_content(content, kind):
    assert evidence.recognise(ContentFile(content)) == kind


@pytest.mark.parametrize(
    "content",
    [
        b"just some text, renamed to .jpg",
        b"<!doctype html><html><script>alert(1)</script></html>",
        PDF[: PDF.index(b"%%EOF")],  # truncated: no %%EOF
        image("PNG")[:-20],  # truncated PNG
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        image("BMP"),
    ],
    ids=["text", "html", "pdf-truncated", "png-truncated", "gif", "bmp"],
)
def test_anything_else_is_not_recognised(content):
    with pytest.raises(evidence.NotRecognised, match="只能上传 JPG、PNG 图片或 PDF 文件"):
        evidence.recognise(ContentFile(content))


@pytest.mark.parametrize("limit", [24 * 16 - 1, (24 * 16) // 2 - 1])  # warning, then error
def test_images_above_the_decompression_bomb_limit_are_refused(monkeypatch, limit):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    with pytest.raises(evidence.NotRecognised, match="像素过多"):
        evidence.recognise(ContentFile(image("PNG")))


@pytest.mark.parametrize(
    ("given", "kind", "kept"),
    [
        ("现场照片.jpg", evidence.JPEG, "现场照片.jpg"),
        ("扫描件", evidence.PDF, "扫描件.pdf"),
        ("照片.txt", evidence.JPEG, "照片.txt.jpg"),
        ("设备/台账.PDF", evidence.PDF, "台账.PDF"),
        ("a\x00b\r\nc.png", evidence.PNG, "a b c.png"),
        ("..", evidence.PNG, "佐证材料.png"),
        ("长" * 300 + ".pdf", evidence.PDF, "长" * 65 + ".pdf"),
    ],
)
def test_original_names_are_cleaned_and_bounded(given, kind, kept):
    name = evidence.original_name(given, kind)
    assert name == kept
    assert len(name.encode()) <= evidence.ORIGINAL_NAME_MAX_LENGTH


def test_sizes_read_in_kb_and_mb():
    assert [evidence.size_label(n) for n in (10, 2048, 1536 * 1024, 10 * 1024 * 1024)] == [
        "1 KB",
        "2 KB",
        "1.5 MB",
        "10 MB",
    ]


# --- pages ---------------------------------------------------------------------------------------


@pytest.fixture
def private_root(settings, tmp_path):
    root = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT = root
    return root


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def draft(enterprise):
    return AssessmentFactory(enterprise=enterprise)


@pytest.fixture
def ent_client(client, enterprise_user):
    client.force_login(enterprise_user)
    return client


def post_file(client, assessment, item, file, *, htmx=True):
    url = reverse("assessments:evidence_upload", args=[assessment.pk])
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url, {"item": item, "file": file}, headers=headers)


def assert_nothing_stored(root: Path) -> None:
    assert Evidence.objects.count() == 0
    assert stored_files(root) == []


needs_db = pytest.mark.django_db


@needs_db
@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("现场照片.jpg", jpeg(), "image/jpeg"),
        ("系统截图.png", image("PNG"), "image/png"),
        ("屏幕.webp", image("WEBP"), "image/webp"),
        ("设备台账.pdf", PDF, "application/pdf"),
    ],
    ids=["jpeg", "png", "webp", "pdf"],
)
def test_a_real_photo_or_pdf_is_stored_under_a_random_name(
    ent_client, draft, private_root, enterprise_user, name, content, content_type
):
    # The client claims nothing useful: the content decides.
    response = post_file(ent_client, draft, "Q3", upload(name, content, "text/plain"))
    assert response.status_code == 200, response.content.decode()
    row = Evidence.objects.get()
    assert (row.assessment, row.item, row.original_name) == (draft, "Q3", name)
    assert (row.content_type, row.size) == (content_type, len(content))
    assert row.sha256 == hashlib.sha256(content).hexdigest()
    assert row.uploaded_by == enterprise_user
    assert STORED_NAME.match(row.file.name), row.file.name
    [path] = stored_files(private_root)
    assert path == private_root / row.file.name and path.read_bytes() == content
    assert name not in str(path)
    body = response.content.decode()
    assert 'id="ev-Q3"' in body and name in body and row.size_label in body
    assert reverse("assessments:evidence_download", args=[draft.pk, row.pk]) in body


NOT_A_PHOTO = "只能上传 JPG、PNG 图片或 PDF 文件"
REFUSED = [
    ("renamed text", "说明.jpg", b"this is plain text, not a photo\n", NOT_A_PHOTO),
    ("html as jpg", "photo.jpg", b"<html><body><script>alert(1)</script></body></html>",
     NOT_A_PHOTO),
    ("truncated pdf", "台账.pdf", PDF[:40], "PDF 文件不完整"),
    ("empty", "空.jpg", b"", "文件是空的"),
]  # fmt: skip


@needs_db
@pytest.mark.parametrize(
    ("case", "name", "content", "message"), REFUSED, ids=[r[0] for r in REFUSED]
)
def test_anything_else_is_refused_and_nothing_stored(
    ent_client, draft, private_root, case, name, content, message
):
    response = post_file(ent_client, draft, "Q3", upload(name, content))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert_nothing_stored(private_root)


@needs_db
def test_an_oversize_file_is_refused(ent_client, draft, private_root, settings):
    settings.EVIDENCE_MAX_FILE_BYTES = 1024
    big = noisy_png(64)
    assert len(big) > 1024
    response = post_file(ent_client, draft, "Q3", upload("大图.png", big))
    assert response.status_code == 400
    assert "文件不能超过 1 KB" in response.content.decode()
    assert_nothing_stored(private_root)


class CountingUpload(ContentFile):
    """An upload that counts the chunks read from it."""

    def __init__(self, chunk: bytes, count: int) -> None:
        super().__init__(b"", name="huge.jpg")
        self.chunk, self.count, self.read_chunks = chunk, count, 0

    def chunks(self, chunk_size=None):
        for _ in range(self.count):
            self.read_chunks += 1
            yield self.chunk


@needs_db
def test_the_size_is_checked_while_reading_not_after(
    draft, enterprise_user, private_root, settings
):
    settings.EVIDENCE_MAX_FILE_BYTES = 3000
    huge = CountingUpload(b"\xff" * 1024, count=10_000)  # 10 MB if read to the end
    with pytest.raises(ValidationError, match="文件不能超过"):
        services.evidence_add(actor=enterprise_user, assessment_id=draft.pk, item="Q1", upload=huge)
    assert huge.read_chunks == 3
    assert_nothing_stored(private_root)


@needs_db
def test_a_huge_request_body_is_refused_before_it_is_read(
    ent_client, draft, private_root, settings
):
    settings.UPLOAD_MAX_BODY_BYTES = 2048
    response = post_file(ent_client, draft, "Q3", upload("大.png", noisy_png(64)))
    assert response.status_code == 400
    assert_nothing_stored(private_root)


@needs_db
def test_files_per_item_and_per_assessment_are_limited(ent_client, draft, private_root, settings):
    settings.EVIDENCE_MAX_FILES_PER_ITEM = 2
    settings.EVIDENCE_MAX_FILES_PER_ASSESSMENT = 3
    for n, item in enumerate(["Q1", "Q1", "Q2"]):
        assert (
            post_file(
                ent_client, draft, item, upload(f"{n}.jpg", jpeg((n * 100, 0, 0)))
            ).status_code
            == 200
        )
    third = post_file(ent_client, draft, "Q1", upload("3.jpg", jpeg((0, 0, 200))))
    assert third.status_code == 400
    assert "每题最多上传 2 个佐证材料" in third.content.decode()
    fourth = post_file(ent_client, draft, "Q4", upload("4.jpg", jpeg((0, 200, 0))))
    assert fourth.status_code == 400
    assert "每份评测最多上传 3 个佐证材料" in fourth.content.decode()
    assert Evidence.objects.count() == 3 and len(stored_files(private_root)) == 3


@needs_db
def test_the_same_file_twice_on_one_item_is_refused(ent_client, draft, private_root):
    assert post_file(ent_client, draft, "Q1", upload("a.jpg", jpeg())).status_code == 200
    again = post_file(ent_client, draft, "Q1", upload("b.jpg", jpeg()))
    assert again.status_code == 400 and "无需重复上传" in again.content.decode()
    assert post_file(ent_client, draft, "Q2", upload("b.jpg", jpeg())).status_code == 200
    assert len(stored_files(private_root)) == 2


@needs_db
@pytest.mark.parametrize("state", ["submitted", "confirmed"])
def test_a_submitted_or_confirmed_assessment_takes_no_files(
    client, enterprise, enterprise_user, assessor, private_root, state
):
    if state == "submitted":
        assessment, user = AssessmentFactory(enterprise=enterprise, submitted=True), enterprise_user
    else:
        assessment = AssessmentFactory(enterprise=enterprise, confirmed=True, confirmed_by=assessor)
        user = assessor
    client.force_login(user)
    response = post_file(client, assessment, "Q1", upload("a.jpg", jpeg()))
    assert response.status_code == 400
    assert "不能再修改" in response.content.decode()
    assert_nothing_stored(private_root)


@needs_db
def test_an_unknown_item_is_refused(ent_client, draft, private_root):
    response = post_file(ent_client, draft, "Q999", upload("a.jpg", jpeg()))
    assert response.status_code == 400
    assert "未知的题目或场景" in response.content.decode()
    assert_nothing_stored(private_root)


@needs_db
@pytest.mark.parametrize("name", ["../../etc/passwd.jpg", "..\\..\\windows\\x.jpg", "a/../b.jpg"])
def test_a_name_with_a_path_is_refused(draft, enterprise_user, private_root, name):
    """Django's upload parser already keeps only the last part of a name; the service refuses
    one that reaches it with a path anyway (another caller, a future parser)."""
    named = ContentFile(jpeg(), name=name)  # unlike an UploadedFile, keeps the name as given
    with pytest.raises(ValidationError, match="文件名不能包含路径"):
        services.evidence_add(
            actor=enterprise_user, assessment_id=draft.pk, item="Q1", upload=named
        )
    assert_nothing_stored(private_root)


@needs_db
def test_a_path_in_the_uploaded_name_never_leaves_the_private_root(
    ent_client, draft, private_root, tmp_path
):
    body = {"item": "Q1", "file": upload("x.jpg", jpeg())}
    url = reverse("assessments:evidence_upload", args=[draft.pk])
    # The multipart body names the file with a path; Django's parser keeps its last part.
    body["file"].name = "../../escape.jpg"
    assert ent_client.post(url, body, headers={"HX-Request": "true"}).status_code == 200
    row = Evidence.objects.get()
    assert row.original_name == "escape.jpg"
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == stored_files(private_root)


@needs_db
def test_a_failed_insert_leaves_no_file_behind(draft, enterprise_user, private_root, monkeypatch):
    def broken(*args, **kwargs):
        assert len(stored_files(private_root)) == 1  # written, then the insert fails
        raise IntegrityError("simulated")

    monkeypatch.setattr(Evidence.objects, "create", broken)
    with pytest.raises(IntegrityError):
        services.evidence_add(
            actor=enterprise_user, assessment_id=draft.pk, item="Q1", upload=upload("a.jpg", jpeg())
        )
    assert_nothing_stored(private_root)


# --- who ------------------------------------------------------------------------------------------


@pytest.fixture
def submitted_with_file(enterprise, enterprise_user, private_root):
    """A submitted 改造后 self-assessment with one evidence file on Q1 (uploaded while a draft):
    the on-site 改造后 assessment is prefilled from it."""
    assessment = AssessmentFactory(enterprise=enterprise, complete=True, purpose=Purpose.POST)
    row = services.evidence_add(
        actor=enterprise_user,
        assessment_id=assessment.pk,
        item="Q1",
        upload=upload("设备台账 2026.pdf", PDF),
    )
    services.assessment_submit(
        actor=enterprise_user,
        assessment_id=assessment.pk,
        signer_name="张伟",
        signer_title="总经理",
        pledge_accepted=True,
    )
    return row


@needs_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("enterprise_user", 200),
        ("assessor", 200),
        ("city_official", 200),
        ("ministry_user", 200),
        ("other_enterprise_user", 404),
        ("other_city_official", 404),
    ],
)
def test_whoever_sees_the_assessment_downloads_its_files(
    client, request, submitted_with_file, persona, status
):
    client.force_login(request.getfixturevalue(persona))
    row = submitted_with_file
    response = client.get(
        reverse("assessments:evidence_download", args=[row.assessment_id, row.pk])
    )
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"].startswith("private")
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f"filename*=utf-8''{quote('设备台账 2026.pdf')}" in disposition


@needs_db
def test_a_file_is_found_only_under_its_own_assessment(
    client, enterprise, enterprise_user, submitted_with_file
):
    other = AssessmentFactory(enterprise=enterprise)
    client.force_login(enterprise_user)
    row = submitted_with_file
    url = reverse("assessments:evidence_download", args=[other.pk, row.pk])
    assert client.get(url).status_code == 404


@needs_db
def test_another_enterprise_can_neither_upload_nor_delete(
    client, draft, other_enterprise_user, private_root
):
    client.force_login(other_enterprise_user)
    assert post_file(client, draft, "Q1", upload("a.jpg", jpeg())).status_code == 404
    assert_nothing_stored(private_root)


@needs_db
def test_the_editor_deletes_a_file_after_commit(
    ent_client, draft, private_root, django_capture_on_commit_callbacks
):
    post_file(ent_client, draft, "Q1", upload("a.jpg", jpeg()))
    row = Evidence.objects.get()
    url = reverse("assessments:evidence_delete", args=[draft.pk, row.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = ent_client.post(url, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert not Evidence.objects.exists()
        assert len(stored_files(private_root)) == 1  # not before the commit
    for callback in callbacks:
        callback()
    assert stored_files(private_root) == []
    assert "a.jpg" not in response.content.decode()


@needs_db
def test_files_of_a_submitted_assessment_cannot_be_deleted(
    client, enterprise_user, submitted_with_file, private_root
):
    client.force_login(enterprise_user)
    row = submitted_with_file
    url = reverse("assessments:evidence_delete", args=[row.assessment_id, row.pk])
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 400 and "不能再修改" in response.content.decode()
    assert Evidence.objects.filter(pk=row.pk).exists() and len(stored_files(private_root)) == 1


@needs_db
def test_on_site_the_assessor_uploads_and_sees_the_enterprises_files(
    client, enterprise, enterprise_user, assessor, submitted_with_file, private_root
):
    onsite = services.assessment_create(actor=assessor, enterprise=enterprise, purpose=Purpose.POST)
    assert onsite.based_on_id == submitted_with_file.assessment_id
    client.force_login(assessor)
    assert post_file(client, onsite, "Q1", upload("现场.jpg", jpeg())).status_code == 200
    page = client.get(reverse("assessments:assessment_detail", args=[onsite.pk])).content.decode()
    assert "企业自评上传的佐证材料" in page and "设备台账 2026.pdf" in page and "现场.jpg" in page
    own = reverse(
        "assessments:evidence_download",
        args=[submitted_with_file.assessment_id, submitted_with_file.pk],
    )
    assert own in page
    # The enterprise's files stay read-only for the assessor: no delete form for them.
    base_delete = reverse(
        "assessments:evidence_delete",
        args=[submitted_with_file.assessment_id, submitted_with_file.pk],
    )
    assert base_delete not in page
    assert client.post(base_delete).status_code == 403
    # The enterprise sees its on-site assessment's files but may not add to them.
    client.force_login(enterprise_user)
    assert post_file(client, onsite, "Q1", upload("企业.jpg", jpeg("blue"))).status_code == 403
    assert Evidence.objects.filter(assessment=onsite).count() == 1


@needs_db
def test_viewers_who_may_not_edit_are_refused(
    client, city_official, submitted_with_file, private_root
):
    client.force_login(city_official)
    row = submitted_with_file
    assert post_file(client, row.assessment, "Q1", upload("x.jpg", jpeg())).status_code == 403
    url = reverse("assessments:evidence_delete", args=[row.assessment_id, row.pk])
    assert client.post(url).status_code == 403
    assert Evidence.objects.count() == 1


# --- the pages ------------------------------------------------------------------------------------


@needs_db
def test_without_javascript_the_form_posts_and_comes_back_to_the_item(
    ent_client, draft, private_root
):
    response = post_file(ent_client, draft, "Q2", upload("a.jpg", jpeg()), htmx=False)
    detail = reverse("assessments:assessment_detail", args=[draft.pk])
    assert response.status_code == 302 and response["Location"] == f"{detail}#ev-Q2"
    refused = post_file(ent_client, draft, "Q2", upload("b.jpg", b"text"), htmx=False)
    assert refused.status_code == 302
    page = ent_client.get(detail).content.decode()
    assert "佐证材料（Q2）：只能上传 JPG、PNG 图片或 PDF 文件" in page
    assert "a.jpg" in page
    assert Evidence.objects.count() == 1


@needs_db
def test_the_questionnaire_offers_an_upload_per_item_while_editable(
    ent_client, draft, submitted_with_file
):
    page = ent_client.get(
        reverse("assessments:assessment_detail", args=[draft.pk])
    ).content.decode()
    assert 'id="ev-file-Q1"' in page and 'id="ev-file-S01"' in page
    assert 'accept="image/jpeg,image/png,image/webp,application/pdf"' in page
    assert "capture" not in page
    assert 'label for="ev-file-Q1">选择文件：</label>' in page
    done = ent_client.get(
        reverse("assessments:assessment_detail", args=[submitted_with_file.assessment_id])
    ).content.decode()
    assert "设备台账 2026.pdf" in done and 'type="file"' not in done and "删除" not in done
    # Read-only, only the item with files shows an evidence area (no "none" under every item).
    assert done.count('class="evidence"') == 1


@needs_db
def test_the_results_page_lists_the_files(ent_client, submitted_with_file):
    row = submitted_with_file
    page = ent_client.get(reverse("assessments:assessment_result", args=[row.assessment_id]))
    body = page.content.decode()
    assert 'id="evidence-summary"' in body and "设备台账 2026.pdf" in body
    assert reverse("assessments:evidence_download", args=[row.assessment_id, row.pk]) in body


# --- where the files live -------------------------------------------------------------------------


def test_the_private_root_is_outside_the_web_root():
    private = Path(django_settings.PRIVATE_MEDIA_ROOT).resolve()
    served = [
        django_settings.STATIC_ROOT,
        django_settings.MEDIA_ROOT,
        *django_settings.STATICFILES_DIRS,
    ]
    for root in served:
        root = Path(root).resolve()
        assert not private.is_relative_to(root) and not root.is_relative_to(private), root
    with pytest.raises(ValueError):
        private_storage.url("evidence/ab/x.jpg")


def test_the_deploy_check_warns_of_private_files_under_a_served_folder(settings, tmp_path):
    from sme_pilot.checks import private_files_outside_the_web_root

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    assert private_files_outside_the_web_root() == []
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "media" / "private"
    [warning] = private_files_outside_the_web_root()
    assert warning.id == "sme_pilot.W002" and "PRIVATE_MEDIA_ROOT" in warning.msg


def test_nginx_has_no_location_for_the_private_files():
    conf = (Path(django_settings.BASE_DIR) / "deploy" / "nginx" / "sme-pilot.conf").read_text()
    assert "private" not in conf and "PRIVATE_MEDIA_ROOT" not in conf


@needs_db
def test_an_assessor_of_another_city_gets_404(client, submitted_with_file, other_city):
    other = UserFactory(username="asr-nb", role=Role.ASSESSOR, city=other_city)
    client.force_login(other)
    row = submitted_with_file
    url = reverse("assessments:evidence_download", args=[row.assessment_id, row.pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("assessments:evidence_delete", args=[row.assessment_id, row.pk])
        ).status_code
        == 404
    )


# --- the API: the same services, limits and scope ------------------------------------------------


def api_url(assessment_pk, *rest) -> str:
    return "/".join([f"/api/v1/assessments/{assessment_pk}/evidence", *map(str, rest)]) + "/"


@needs_db
def test_the_api_uploads_lists_downloads_and_deletes(ent_client, draft, private_root):
    created = ent_client.post(
        api_url(draft.pk), {"item": "S01", "file": upload("系统截图.png", image("PNG"))}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    row = Evidence.objects.get()
    assert body["id"] == row.pk and body["item"] == "S01" and body["content_type"] == "image/png"
    assert body["original_name"] == "系统截图.png" and body["size"] == row.size
    assert body["download_url"].endswith(api_url(draft.pk, row.pk, "download"))
    assert [r["id"] for r in ent_client.get(api_url(draft.pk)).json()] == [row.pk]
    assert ent_client.get(api_url(draft.pk, row.pk)).json()["sha256"] == row.sha256

    download = ent_client.get(api_url(draft.pk, row.pk, "download"))
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == image("PNG")

    assert ent_client.delete(api_url(draft.pk, row.pk)).status_code == 204
    assert not Evidence.objects.exists()


@needs_db
def test_the_api_refuses_what_the_page_refuses(ent_client, draft, private_root, settings):
    settings.EVIDENCE_MAX_FILES_PER_ITEM = 1
    html = upload("x.jpg", b"<html><script>alert(1)</script></html>")
    refused = ent_client.post(api_url(draft.pk), {"item": "Q1", "file": html})
    assert refused.status_code == 400
    assert refused.json() == {"file": ["只能上传 JPG、PNG 图片或 PDF 文件"]}
    assert (
        ent_client.post(
            api_url(draft.pk), {"item": "Q1", "file": upload("a.jpg", jpeg())}
        ).status_code
        == 201
    )
    second = ent_client.post(
        api_url(draft.pk), {"item": "Q1", "file": upload("b.jpg", jpeg("blue"))}
    )
    assert second.status_code == 400 and "每题最多上传 1 个佐证材料" in second.json()["file"][0]
    unknown = ent_client.post(
        api_url(draft.pk), {"item": "Q99", "file": upload("c.jpg", jpeg("green"))}
    )
    assert unknown.status_code == 400 and "未知的题目或场景" in unknown.json()["item"][0]
    as_json = ent_client.post(api_url(draft.pk), {"item": "Q1"}, content_type="application/json")
    assert as_json.status_code == 415
    assert Evidence.objects.count() == 1 and len(stored_files(private_root)) == 1


@needs_db
def test_the_api_keeps_files_in_scope(
    client, other_enterprise_user, submitted_with_file, private_root
):
    client.force_login(other_enterprise_user)
    row = submitted_with_file
    for url in (api_url(row.assessment_id), api_url(row.assessment_id, row.pk, "download")):
        assert client.get(url).status_code == 404
    assert (
        client.post(
            api_url(row.assessment_id), {"item": "Q1", "file": upload("a.jpg", jpeg())}
        ).status_code
        == 404
    )
    assert client.get(api_url("abc")).status_code == 404
    assert client.get(api_url(row.assessment_id, "../1")).status_code == 404
    assert len(stored_files(private_root)) == 1
