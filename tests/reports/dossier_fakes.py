"""A fake dossier renderer for worker tests: it says which process rendered which enterprise, so
a test can tell the dossiers a killed worker finished from those its successor rendered.

Each render first sleeps FAKE_RENDER_SECONDS (default 0), so a test can kill a worker mid-way.
"""

from __future__ import annotations

import os
import time
from typing import Any

from tests.reports.fakes import FAKE_PDF


def render_with_pid(kind: str, snapshot: dict[str, Any], *, snapshot_hash: str) -> bytes:
    time.sleep(float(os.environ.get("FAKE_RENDER_SECONDS", "0")))
    return FAKE_PDF + f"% pid {os.getpid()} {snapshot['enterprise']['uscc']}\n".encode()
