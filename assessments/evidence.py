"""Evidence files (佐证材料) as content: what a file is, read from its bytes, and its names.

Pure: no database. A file is recognised by what it holds, never by its name or the type the
client claims: JPEG, PNG and WebP are opened and verified by Pillow (its decompression-bomb limit
applies: an image of more pixels than `Image.MAX_IMAGE_PIXELS` is refused), a PDF must start
with `%PDF-` and end with `%%EOF` (within the last KB, as the PDF specification allows trailing
bytes). Anything else is `NotRecognised`.
"""

from __future__ import annotations

import os
import uuid
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image, UnidentifiedImageError

from sme_pilot.downloads import download_filename

NOT_RECOGNISED = "只能上传 JPG、PNG 图片或 PDF 文件"
ORIGINAL_NAME_MAX_LENGTH = 200
PDF_TAIL_BYTES = 1024


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
KINDS = (JPEG, PNG, WEBP, PDF)
_BY_PILLOW_FORMAT = {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP}
CONTENT_TYPES = tuple(k.content_type for k in KINDS)


class NotRecognised(Exception):
    """Not a JPEG, PNG or WebP image nor a PDF (or a broken, truncated or oversized one)."""

    def __init__(self, message: str = NOT_RECOGNISED) -> None:
        super().__init__(message)


def kind_of(content_type: str) -> Kind:
    return next(k for k in KINDS if k.content_type == content_type)


def recognise(handle: IO[bytes]) -> Kind:
    """What the file holds; the handle is left at its start. Raises NotRecognised."""
    handle.seek(0)
    head = handle.read(8)
    handle.seek(0)
    try:
        if head.startswith(b"%PDF-"):
            return _pdf(handle)
        return _image(handle)
    finally:
        handle.seek(0)


def _pdf(handle: IO[bytes]) -> Kind:
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - PDF_TAIL_BYTES))
    if b"%%EOF" not in handle.read():
        raise NotRecognised(f"{NOT_RECOGNISED}（PDF 文件不完整）")
    return PDF


def _image(handle: IO[bytes]) -> Kind:
    with warnings.catch_warnings():
        # Above MAX_IMAGE_PIXELS Pillow only warns (an error from twice that): refuse both.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(handle, formats=list(_BY_PILLOW_FORMAT)) as image:
                kind = _BY_PILLOW_FORMAT[str(image.format)]
                image.verify()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise NotRecognised("图片像素过多，请缩小后再上传") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, KeyError, EOFError):
            raise NotRecognised() from None
    return kind


def original_name(name: str, kind: Kind) -> str:
    """The name a person gave the file, made safe and bounded: no folders (a path such as
    `../../etc/passwd` keeps only its last part), no control or reserved characters, and an
    extension that fits the content (`扫描件` holding a PDF becomes `扫描件.pdf`)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if not base.strip(" ."):
        base = "佐证材料"
    _, dot, ext = base.rpartition(".")
    if not dot or ext.lower() not in kind.extensions:
        base = f"{base}.{kind.extension}"
    return download_filename(base, max_bytes=ORIGINAL_NAME_MAX_LENGTH)


def stored_name(kind: Kind) -> str:
    """A random name in the private storage, never the person's: `evidence/ab/<uuid>.jpg`."""
    key = uuid.uuid4().hex
    return f"evidence/{key[:2]}/{key}.{kind.extension}"


def size_label(size: int) -> str:
    """1 KB = 1,024 bytes; whole KB below 1 MB, one decimal above (none for whole MB)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.0f} MB" if size % (1024 * 1024) == 0 else f"{megabytes:.1f} MB"
