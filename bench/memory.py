"""Peak memory of one measured command, inside the benchmark's own process.

Linux keeps a process's peak resident set (`VmHWM` in /proc/self/status); writing 5 to
/proc/self/clear_refs resets it to the current resident set. So `measure()` resets it, runs the
command and reads it again: `peak_rss_mb` is the process's peak while the command ran, and
`growth_mb` the part above what the process already held (the data set generated for the run,
the interpreter, Django; the allocator's free pages are handed back first): the command's
own memory. PostgreSQL's memory is not counted.

`Peaks` keeps the largest of several runs for the JSON line: `{"peak_rss_mb": …,
"rss_growth_mb": …}`. Where the kernel does not allow the reset, the figures are the process's
peak so far (`peak_reset` false in the JSON).
"""

from __future__ import annotations

import ctypes
import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

_STATUS = Path("/proc/self/status")


def status_mb(key: str) -> float:
    """A memory field of /proc/self/status (VmRSS, VmHWM…) in MB, 0 where there is none."""
    match = re.search(rf"^{key}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    return round(int(match.group(1)) / 1024, 1) if match else 0.0


def _release_free_memory() -> None:
    """Collect garbage and hand the allocator's free pages back to the kernel (glibc), so the
    resident set before a run is what the process still uses, not what it once used."""
    gc.collect()
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Peaks:
    peak_mb: float = 0.0
    growth_mb: float = 0.0
    reset: bool = True
    runs: list[tuple[float, float]] = field(default_factory=list)

    @contextmanager
    def measure(self) -> Iterator[None]:
        _release_free_memory()
        self.reset = _reset_peak() and self.reset
        start = status_mb("VmRSS")
        try:
            yield
        finally:
            peak = status_mb("VmHWM")
            self.runs.append((start, peak))
            self.peak_mb = max(self.peak_mb, peak)
            self.growth_mb = max(self.growth_mb, round(peak - start, 1))

    def as_json(self) -> dict[str, object]:
        return {
            "peak_rss_mb": self.peak_mb,
            "rss_growth_mb": self.growth_mb,
            "peak_reset": self.reset,
        }
