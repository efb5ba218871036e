"""Uploaded files as content: what a file is, read from its bytes, and its names.

Shared by every app that keeps uploads (evidence files, project documents); imports no app.
Pure: no database. A file is recognised by what it holds, never by its name or the type the
client claims, and each caller passes the kinds it accepts:

- JPEG, PNG and WebP are opened and verified by Pillow (its decompression-bomb limit applies: an
  image of more pixels than `Image.MAX_IMAGE_PIXELS` is refused);
- a PDF must start with `%PDF-` and end with `%%EOF` (within the last KB, as the PDF specification
  allows trailing bytes);
- XLSX and DOCX are ZIP packages (Office Open XML): the central directory is read, bounded (at
  most `ZIP_MAX_MEMBERS` members, at most `ZIP_MAX_UNPACKED_BYTES` declared unpacked), and must
  name `[Content_Types].xml` and `xl/workbook.xml` (XLSX) or `word/document.xml` (DOCX). Nothing
  is decompressed: a zip bomb costs the reading of its directory only.

Anything else is `NotRecognised`, with the caller's message.
"""

from __future__ import annotations

import os
import uuid
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from PIL import Image, UnidentifiedImageError

from .downloads import download_filename

ORIGINAL_NAME_MAX_LENGTH = 200
PDF_TAIL_BYTES = 1024
ZIP_MAX_MEMBERS = 2000
ZIP_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
OOXML_CONTENT_TYPES = "[Content_Types].xml"


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str  # of the stored file and of a download name that lacks a fitting one
    extensions: tuple[str, ...]  # the names a person gives such a file
    label: str


JPEG = Kind("image/jpeg", "jpg", ("jpg", "jpeg", "jfif"), "JPG 图片")
PNG = Kind("image/png", "png", ("png",), "PNG 图片")
WEBP = Kind("image/webp", "webp", ("webp",), "WebP 图片")
PDF = Kind("application/pdf", "pdf", ("pdf",), "PDF 文件")
XLSX = Kind(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsx",
    ("xlsx",),
    "Excel 表格（XLSX）",
)
DOCX = Kind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
    ("docx",),
    "Word 文档（DOCX）",
)
ALL_KINDS = (JPEG, PNG, WEBP, PDF, XLSX, DOCX)
_BY_PILLOW_FORMAT = {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP}
_OOXML_MAIN_PART = {XLSX: "xl/workbook.xml", DOCX: "word/document.xml"}


class NotRecognised(Exception):
    """Not one of the accepted kinds (or a broken, truncated or oversized one)."""


def kind_of(content_type: str, kinds: Sequence[Kind] = ALL_KINDS) -> Kind:
    return next(k for k in kinds if k.content_type == content_type)


def recognise(handle: IO[bytes], kinds: Sequence[Kind], message: str) -> Kind:
    """What the file holds, among `kinds`; the handle is left at its start. Raises
    NotRecognised(message), or a more precise message for a broken file of an accepted kind."""
    handle.seek(0)
    head = handle.read(8)
    handle.seek(0)
    try:
        if head.startswith(b"%PDF-") and PDF in kinds:
            return _pdf(handle, message)
        if head.startswith(b"PK\x03\x04") and (XLSX in kinds or DOCX in kinds):
            return _ooxml(handle, kinds, message)
        images = [k for k in kinds if k in _BY_PILLOW_FORMAT.values()]
        if images:
            return _image(handle, images, message)
        raise NotRecognised(message)
    finally:
        handle.seek(0)


def _pdf(handle: IO[bytes], message: str) -> Kind:
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - PDF_TAIL_BYTES))
    if b"%%EOF" not in handle.read():
        raise NotRecognised(f"{message}（PDF 文件不完整）")
    return PDF


def _ooxml(handle: IO[bytes], kinds: Sequence[Kind], message: str) -> Kind:
    """An XLSX or DOCX package, by its directory alone (nothing is decompressed)."""
    try:
        with zipfile.ZipFile(handle) as package:
            members = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise NotRecognised(message) from None
    if len(members) > ZIP_MAX_MEMBERS:
        raise NotRecognised(f"{message}（压缩包内文件过多）")
    if sum(m.file_size for m in members) > ZIP_MAX_UNPACKED_BYTES:
        raise NotRecognised(f"{message}（解压后过大）")
    names = {m.filename for m in members}
    if OOXML_CONTENT_TYPES not in names:
        raise NotRecognised(message)
    for kind, part in _OOXML_MAIN_PART.items():
        if kind in kinds and part in names:
            return kind
    raise NotRecognised(message)


def _image(handle: IO[bytes], images: Sequence[Kind], message: str) -> Kind:
    formats = [fmt for fmt, kind in _BY_PILLOW_FORMAT.items() if kind in images]
    with warnings.catch_warnings():
        # Above MAX_IMAGE_PIXELS Pillow only warns (an error from twice that): refuse both.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(handle, formats=formats) as image:
                kind = _BY_PILLOW_FORMAT[str(image.format)]
                image.verify()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise NotRecognised("图片像素过多，请缩小后再上传") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, KeyError, EOFError):
            raise NotRecognised(message) from None
    return kind


def has_path(name: str) -> bool:
    """A name with a folder in it (`/` or `\\`): refused rather than silently cut."""
    return any(sep in name for sep in "/\\")


def original_name(name: str, kind: Kind, *, default: str) -> str:
    """The name a person gave the file, made safe and bounded: no folders (a path such as
    `../../etc/passwd` keeps only its last part), no control or reserved characters, and an
    extension that fits the content (`扫描件` holding a PDF becomes `扫描件.pdf`)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if not base.strip(" ."):
        base = default
    _, dot, ext = base.rpartition(".")
    if not dot or ext.lower() not in kind.extensions:
        base = f"{base}.{kind.extension}"
    return download_filename(base, max_bytes=ORIGINAL_NAME_MAX_LENGTH)


def stored_name(folder: str, kind: Kind) -> str:
    """A random name in the private storage, never the person's: `<folder>/ab/<uuid>.jpg`."""
    key = uuid.uuid4().hex
    return f"{folder}/{key[:2]}/{key}.{kind.extension}"


def size_label(size: int) -> str:
    """1 KB = 1,024 bytes; whole KB below 1 MB, one decimal above (none for whole MB)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.0f} MB" if size % (1024 * 1024) == 0 else f"{megabytes:.1f} MB"
