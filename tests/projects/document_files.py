"""Real files for the project document tests: XLSX written by openpyxl, a minimal DOCX package,
and ZIP look-alikes that must be refused."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

CONTENT_TYPES_XML = b'<?xml version="1.0"?><Types/>'


def xlsx() -> bytes:
    buffer = io.BytesIO()
    book = Workbook()
    book.active.append(["合同", 100])  # type: ignore[union-attr]
    book.save(buffer)
    return buffer.getvalue()


def package(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def docx() -> bytes:
    return package(
        {"[Content_Types].xml": CONTENT_TYPES_XML, "word/document.xml": b"<w:document/>"}
    )


def plain_zip() -> bytes:
    return package({"readme.txt": b"just a zip"})
