"""Shared content recognition (sme_pilot.files): each caller's accepted kinds, Office packages
read by their directory only, bounded."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.base import ContentFile

from sme_pilot import files
from tests.assessments.evidence_files import PDF, image
from tests.projects.document_files import CONTENT_TYPES_XML, docx, package, plain_zip, xlsx

EVERYTHING = files.ALL_KINDS
MESSAGE = "不认识"


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (image("JPEG"), files.JPEG),
        (image("PNG"), files.PNG),
        (PDF, files.PDF),
        (xlsx(), files.XLSX),
        (docx(), files.DOCX),
    ],
    ids=["jpeg", "png", "pdf", "xlsx", "docx"],
)
def test_each_kind_is_recognised_by_content(content, kind):
    handle = ContentFile(content)
    assert files.recognise(handle, EVERYTHING, MESSAGE) == kind
    assert handle.tell() == 0


@pytest.mark.parametrize(
    "content",
    [
        plain_zip(),
        package({"[Content_Types].xml": CONTENT_TYPES_XML}),  # neither workbook nor document
        package({"word/document.xml": b"<w:document/>"}),  # no content types
        xlsx()[:200],  # truncated package
        b"<html>not a pdf</html>",
    ],
    ids=["zip", "no-main-part", "no-content-types", "truncated", "html"],
)
def test_look_alikes_are_not_recognised(content):
    with pytest.raises(files.NotRecognised, match=MESSAGE):
        files.recognise(ContentFile(content), EVERYTHING, MESSAGE)


def test_a_caller_gets_only_its_kinds():
    with pytest.raises(files.NotRecognised, match="只要图片"):
        files.recognise(ContentFile(xlsx()), (files.JPEG, files.PNG), "只要图片")
    with pytest.raises(files.NotRecognised):
        files.recognise(ContentFile(docx()), (files.XLSX,), MESSAGE)


def test_too_many_members_are_refused(monkeypatch):
    monkeypatch.setattr(files, "ZIP_MAX_MEMBERS", 2)
    content = package(
        {"[Content_Types].xml": CONTENT_TYPES_XML, "word/document.xml": b"x", "word/a.xml": b"y"}
    )
    with pytest.raises(files.NotRecognised, match="文件过多"):
        files.recognise(ContentFile(content), EVERYTHING, MESSAGE)


def test_declared_unpacked_size_is_bounded_without_unpacking(monkeypatch):
    monkeypatch.setattr(files, "ZIP_MAX_UNPACKED_BYTES", 1000)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES_XML)
        archive.writestr("word/document.xml", b"0" * 5000)  # compresses to a few bytes
    with pytest.raises(files.NotRecognised, match="解压后过大"):
        files.recognise(ContentFile(buffer.getvalue()), EVERYTHING, MESSAGE)


def test_names_with_a_path_are_seen():
    assert files.has_path("a/b.pdf") and files.has_path("a\\b.pdf")
    assert not files.has_path("合同.pdf")
    assert files.original_name("合同", files.DOCX, default="文档") == "合同.docx"
    assert files.original_name("..", files.XLSX, default="文档") == "文档.xlsx"
