"""Issue 17 item 5: an export's memory does not grow with its rows.

The city roster and the project list are exported through the test client at `SMALL` and at
ten times as many rows, and the peak of Python's traced allocations (tracemalloc) is taken while
the response is produced and read to its end (into a file, not into memory). A streamed export
holds one or two database chunks and the rows its column widths are measured on, whatever the
row count, so the larger export's peak stays within the smaller's times 1.5 plus `SLACK`.
Building the rows as a list and the workbook as bytes in memory (as before) peaks at 4 to 6
times the small export's here, and fails.

tracemalloc makes Python about ten times slower, so the test is a scale model: the chunk
(`CHUNK_ROWS`, 2,000) and the width sample (`WIDTH_ROWS`, 1,000) shrink to 40 rows each, so that
200 and 2,000 rows span 5 and 50 chunks, as 10,000 and 100,000 rows would in production. The
small size must span several chunks: Django's chunked fetch holds the previous chunk while it
fetches the next, so an export's peak is flat only from the second chunk on.
"""

from __future__ import annotations

import datetime as dt
import gc
import tracemalloc
from pathlib import Path

import pytest
from django.http import HttpResponseBase
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from cities.models import Enterprise, SubIndustry
from oversight.exports import header
from projects.models import Project
from sme_pilot import xlsx
from tests.cities.factories import make_uscc

pytestmark = pytest.mark.django_db

SMALL = 200
LARGE = 2_000
SCALED_ROWS = 40  # CHUNK_ROWS and WIDTH_ROWS during the test
# Far from the factories' sequence numbers, so no USCC collides with theirs.
USCC_BASE = 50_000_000
DAY = dt.date(2025, 3, 1)
# What may differ between two exports besides their rows: a garbage collection falling at another
# moment, the allocator's and the zip writer's buffers (flat exports measured within 40 KiB of
# each other). 1.5 × small + 512 KiB lets the larger export grow by about 0.75 MiB, what some 650
# rows held in memory cost (the old roster export grew 1.15 KB a row): a third of the 1,800 more.
SLACK = 512 * 1024


def add_rows(sub_industry: SubIndustry, start: int, stop: int) -> None:
    """Enterprises `start`…`stop - 1` of the city, a third never confirmed, each with a project."""
    enterprises = Enterprise.objects.bulk_create(
        [
            Enterprise(
                uscc=make_uscc(USCC_BASE + n),
                name=f"内存测试智能制造有限公司{n}",
                city=sub_industry.city,
                sub_industry=sub_industry,
                above_scale=n % 2 == 0,
                quality_tier="none",
                size_class="small",
                kept_level=None if n % 3 == 0 else n % 4 + 1,
                kept_level_on=None if n % 3 == 0 else DAY,
            )
            for n in range(start, stop)
        ],
        batch_size=1_000,
    )
    Project.objects.bulk_create(
        [Project(enterprise=e, applied_on=DAY, admitted_on=DAY) for e in enterprises],
        batch_size=1_000,
    )


def save(response: HttpResponseBase, path: Path) -> None:
    """The whole body into `path`: a streamed one chunk by chunk (the test client then closes
    the response), one built in memory as it is."""
    assert response.status_code == 200
    chunks = response.streaming_content if response.streaming else [response.content]
    with path.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)


def export_peak(client: Client, url: str, path: Path) -> int:
    """The peak of traced allocations (bytes) while `url` is answered and read into `path`."""
    gc.collect()
    tracemalloc.start()
    try:
        save(client.get(url), path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def sheet_rows(path: Path) -> tuple[tuple[object, ...], int]:
    """The header row and the number of rows after it, read back with openpyxl (read-only)."""
    book = load_workbook(path, read_only=True)
    try:
        rows = book.active.iter_rows(values_only=True)
        first = next(rows)
        return first, sum(1 for _ in rows)
    finally:
        book.close()


@pytest.mark.parametrize(
    ("name", "args", "first_column"),
    [
        ("oversight:roster_export", ["HHHT"], header()[0]),
        ("projects:project_export", [], "项目编号"),
    ],
    ids=["roster", "projects"],
)
def test_an_exports_peak_memory_does_not_grow_with_its_rows(
    client, city_official, sub_industry, tmp_path, monkeypatch, name, args, first_column
):
    monkeypatch.setattr(xlsx, "CHUNK_ROWS", SCALED_ROWS)
    monkeypatch.setattr(xlsx, "WIDTH_ROWS", SCALED_ROWS)
    url = reverse(name, args=args)
    client.force_login(city_official)
    add_rows(sub_industry, 0, SMALL)
    save(client.get(url), tmp_path / "warm.xlsx")  # first-use imports and caches, not measured
    small = export_peak(client, url, tmp_path / "small.xlsx")
    add_rows(sub_industry, SMALL, LARGE)
    large = export_peak(client, url, tmp_path / "large.xlsx")
    print(f"{url}: peak {small / 2**20:.3f} MiB at {SMALL}, {large / 2**20:.3f} MiB at {LARGE}")

    for path, rows in ((tmp_path / "small.xlsx", SMALL), (tmp_path / "large.xlsx", LARGE)):
        first, count = sheet_rows(path)
        assert (first[0], count) == (first_column, rows)
    assert large < 1.5 * small + SLACK, (small, large)
