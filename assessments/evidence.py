"""Evidence files (佐证材料) as content: the kinds evidence accepts and its names.

Pure: no database. Recognition by content is `sme_pilot.files` (shared with project documents);
evidence accepts images (JPEG, PNG, WebP) and PDF only. Anything else is `NotRecognised`.
"""

from __future__ import annotations

from typing import IO

from sme_pilot import files
from sme_pilot.files import JPEG, PDF, PNG, WEBP, Kind, NotRecognised, size_label

__all__ = [
    "CONTENT_TYPES",
    "JPEG",
    "KINDS",
    "NOT_RECOGNISED",
    "ORIGINAL_NAME_MAX_LENGTH",
    "PDF",
    "PNG",
    "WEBP",
    "Kind",
    "NotRecognised",
    "kind_of",
    "original_name",
    "recognise",
    "size_label",
    "stored_name",
]

NOT_RECOGNISED = "只能上传 JPG、PNG 图片或 PDF 文件"
ORIGINAL_NAME_MAX_LENGTH = files.ORIGINAL_NAME_MAX_LENGTH
KINDS = (JPEG, PNG, WEBP, PDF)
CONTENT_TYPES = tuple(k.content_type for k in KINDS)


def kind_of(content_type: str) -> Kind:
    return files.kind_of(content_type, KINDS)


def recognise(handle: IO[bytes]) -> Kind:
    """What the file holds; the handle is left at its start. Raises NotRecognised."""
    return files.recognise(handle, KINDS, NOT_RECOGNISED)


def original_name(name: str, kind: Kind) -> str:
    return files.original_name(name, kind, default="佐证材料")


def stored_name(kind: Kind) -> str:
    """A random name in the private storage, never the person's: `evidence/ab/<uuid>.jpg`."""
    return files.stored_name("evidence", kind)
