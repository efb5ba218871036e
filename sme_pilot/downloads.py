"""Every file download's name and Content-Disposition header: the only place that sets it.

Names carry enterprise and city names, which may hold "/" (甲/乙公司), quotes or anything else a
roster import accepted. `download_filename` makes one safe name that keeps the whole of it:
path separators and the characters Windows refuses become their full-width forms, control
characters become spaces, the result is trimmed and bounded in UTF-8 bytes (extension kept).
The header is Django's RFC 6266/5987 one: ASCII `filename=` or UTF-8 `filename*=`.

A generated download (an export) is written into an anonymous temporary file and streamed from
it (`temporary_file_response`), never built in memory: its size is not the process's.
"""

from __future__ import annotations

import tempfile
import unicodedata
from collections.abc import Callable
from typing import IO, Any, Protocol

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

from .errors import NotFound
from .observability import security_event

# Room for the name under the usual 255-byte file name limit, after a browser's " (1)".
MAX_FILENAME_BYTES = 200
FALLBACK = "download"
# / \ : * ? " < > | -> ／ ＼ ： ＊ ？ ＂ ＜ ＞ ｜ (the full-width forms sit 0xFEE0 above ASCII).
_RESERVED = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in '/\\:*?"<>|'})


def download_filename(name: str, *, max_bytes: int = MAX_FILENAME_BYTES) -> str:
    """A file name safe in a header and on any file system, keeping Chinese and the whole name."""
    name = name.translate(_RESERVED)
    name = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in name)
    name = " ".join(name.split()).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext.encode()) > 16:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    budget = max_bytes - len(suffix.encode())
    while len(stem.encode()) > budget:
        stem = stem[:-1]
    stem = stem.rstrip(" .")
    return f"{stem or FALLBACK}{suffix}"


def attachment(response: HttpResponse, name: str) -> HttpResponse:
    """`response` as a download named `name` (made safe)."""
    header = content_disposition_header(True, download_filename(name))
    assert header is not None
    response["Content-Disposition"] = header
    return response


def attachment_response(content: bytes, *, name: str, content_type: str) -> HttpResponse:
    return attachment(HttpResponse(content, content_type=content_type), name)


def file_attachment_response(handle: IO[Any], *, name: str, content_type: str) -> FileResponse:
    """A streamed file download; FileResponse builds its header from the already-safe name."""
    return FileResponse(
        handle, as_attachment=True, filename=download_filename(name), content_type=content_type
    )


def private_file_response(handle: IO[Any], *, name: str, content_type: str) -> FileResponse:
    """A private file handed back (a stored upload, a generated export): an attachment of its
    type, never shown inline, never sniffed into another type, never kept by a shared cache."""
    response = file_attachment_response(handle, name=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def temporary_file_response(
    write: Callable[[IO[bytes]], object], *, name: str, content_type: str
) -> FileResponse:
    """A generated download: `write` fills an anonymous temporary file, which is then streamed
    like a stored upload (attachment, nosniff, private). The file disappears when the response
    is closed, or at once if `write` fails."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it once sent
    try:
        write(handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return private_file_response(handle, name=name, content_type=content_type)


class StoredUpload(Protocol):
    """A row holding a private upload (evidence, project documents)."""

    pk: Any
    file: FieldFile
    original_name: str
    content_type: str


def stored_upload_response(
    request: HttpRequest, row: StoredUpload, *, missing: str, event: str, **fields: Any
) -> FileResponse:
    """The download of a private upload the caller has already found visible: the security log
    line `event` (with the row's id and `fields`), then the file (a missing file is a 404 with
    the message `missing`)."""
    try:
        handle = row.file.open("rb")
    except FileNotFoundError:
        raise NotFound(missing) from None
    security_event(event, request=request, **fields)
    return private_file_response(handle, name=row.original_name, content_type=row.content_type)
