"""Stand-ins for the PDF renderer, named by settings.REPORTS_RENDERER (a dotted path).

In-process tests use the `renderer` fixture (tests/reports/conftest.py), which points the setting
at `render` and returns the recorder it reports to. Worker tests pass
`{"REPORTS_RENDERER": "tests.reports.fakes.…"}` to the worker they start; `render_slowly` and
`render_real_slowly` first sleep FAKE_RENDER_SECONDS, so a test can see (or kill) a render in
progress.
"""

from __future__ import annotations

import os
import time
from typing import Any

FAKE_PDF = b"%PDF-1.7\n% fake report\n%%EOF\n"


class Recorder:
    """Counts renders; the first `fail` of them raise."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail = 0
        self.error = "字体缺失"

    def __call__(self) -> bytes:
        self.calls += 1
        if self.calls <= self.fail:
            raise RuntimeError(self.error)
        return FAKE_PDF


RECORDER = Recorder()


def render(kind: str, snapshot: dict[str, Any], *, snapshot_hash: str) -> bytes:
    return RECORDER()


def _pause() -> None:
    time.sleep(float(os.environ.get("FAKE_RENDER_SECONDS", "60")))


def render_slowly(kind: str, snapshot: dict[str, Any], *, snapshot_hash: str) -> bytes:
    _pause()
    return FAKE_PDF


def render_real_slowly(kind: str, snapshot: dict[str, Any], *, snapshot_hash: str) -> bytes:
    from reports.rendering import render_pdf

    _pause()
    return render_pdf(kind, snapshot, snapshot_hash=snapshot_hash)
