"""Issue 17 item 5: an import's memory does not grow with its rows.

An enterprises file (CSV and XLSX) is imported at `SMALL` rows and at ten times as many, and the
peak of Python's traced allocations (tracemalloc) is taken while the import reads, checks and
writes it. A streaming import holds one chunk of rows (settings.IMPORT_CHUNK_ROWS) and, of the
rows before it, only their keys (to find duplicates): the larger import's peak stays within the
smaller's times 1.5, plus `KEY_BYTES` for each extra row's key, plus `SLACK`. Measured: the
CSV import's peak grew by 0.84 MiB beyond 1.5 × small (0.19 KiB a row, its key), the XLSX one's
by 0.59 MiB; holding every parsed row until the end (as before) grew by 7.2 and 7.7 MiB
(1.6 KiB a row) and fails by far.

A scale model, as the export test is (tracemalloc makes Python about ten times slower): the
chunk shrinks from 50,000 rows to 50, so 500 and 5,000 rows span 10 and 100 chunks, as 500,000
and 5,000,000 rows would in production. The file's bytes are made before tracing starts (an
upload or a stored file is on disk, not in the import's memory).
"""

from __future__ import annotations

import gc
import io
import tracemalloc

import pytest

from cities.imports import import_file
from cities.models import Enterprise
from tests.cities.import_files import enterprise_file

pytestmark = pytest.mark.django_db

SMALL = 500
LARGE = 5_000
CHUNK = 50
# An earlier row's key as the import keeps it: a USCC (67 bytes), its row number and its place
# in a dict (with the dict's spare room) come to some 190 bytes.
KEY_BYTES = 256
# What may differ between two imports besides their rows: a garbage collection at another
# moment, the allocator's and the readers' buffers.
SLACK = 512 * 1024


def peak_of_import(content: bytes) -> tuple[int, int]:
    """The traced peak while `content` is imported (bytes), and the rows it created."""
    before = Enterprise.objects.count()
    source = io.BytesIO(content)
    gc.collect()
    tracemalloc.start()
    try:
        result = import_file(kind="enterprises", content=source, actor=None, dry_run=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.written, result.errors
    return peak, Enterprise.objects.count() - before


@pytest.mark.parametrize("fmt", ["utf-8", "xlsx"])
def test_an_import_holds_a_chunk_of_rows_whatever_the_files_size(sub_industry, settings, fmt):
    settings.IMPORT_CHUNK_ROWS = CHUNK
    small = enterprise_file(SMALL, fmt)
    large = enterprise_file(LARGE, fmt)
    small_peak, small_rows = peak_of_import(small)
    Enterprise.objects.all().delete()
    large_peak, large_rows = peak_of_import(large)
    assert (small_rows, large_rows) == (SMALL, LARGE)
    allowed = 1.5 * small_peak + KEY_BYTES * (LARGE - SMALL) + SLACK
    assert large_peak < allowed, (small_peak, large_peak)
