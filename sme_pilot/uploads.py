"""The one limit on every request body that carries files, checked before any of it is read.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE bounds form fields but not files: without this, a multipart
body of any size would be spooled to disk before a view could refuse it. `BodyLimitUploadHandler`
(first in FILE_UPLOAD_HANDLERS) refuses a body whose Content-Length is above
`UPLOAD_MAX_BODY_BYTES` as soon as parsing starts: Django answers 400 (RequestDataTooBig), and
nginx's `client_max_body_size` does the same in front of it. Each kind of upload keeps its own,
lower limit per file (imports: IMPORT_MAX_UPLOAD_BYTES; evidence: EVIDENCE_MAX_FILE_BYTES), which
its service checks while reading the file.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class BodyLimitUploadHandler(FileUploadHandler):
    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        if content_length > settings.UPLOAD_MAX_BODY_BYTES:
            raise RequestDataTooBig("上传的内容过大。")
        return None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data  # the next handler stores it

    def file_complete(self, file_size: int) -> None:
        return None
