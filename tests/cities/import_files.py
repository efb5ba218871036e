"""Build import files in tests: CSV in each accepted encoding, and XLSX, from rows of dicts."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook

from cities.imports.registry import SPECS
from tests.cities.factories import make_uscc

# The four accepted encodings/formats; "utf-8-sig" is UTF-8 with a BOM.
FORMATS = ("utf-8", "utf-8-sig", "gb18030", "xlsx")


def header(kind: str, *, chinese: bool = False) -> list[str]:
    return [c.label if chinese else c.name for c in SPECS[kind].columns]


def csv_bytes(rows: Iterable[Sequence[Any]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def encode(rows: Iterable[Sequence[Any]], fmt: str) -> bytes:
    rows = list(rows)
    if fmt == "xlsx":
        return xlsx_bytes(rows)
    return csv_bytes(([("" if v is None else str(v)) for v in row] for row in rows), fmt)


def table(
    kind: str, records: Iterable[Mapping[str, Any]], *, chinese: bool = False
) -> list[list[Any]]:
    """A header row and one row per record, columns in the kind's order (absent → blank)."""
    names = [c.name for c in SPECS[kind].columns]
    return [header(kind, chinese=chinese)] + [[r.get(n, "") for n in names] for r in records]


def kind_file(
    kind: str, records: Iterable[Mapping[str, Any]], fmt: str = "utf-8", *, chinese: bool = False
) -> bytes:
    return encode(table(kind, records, chinese=chinese), fmt)


def enterprise_record(n: int, **overrides: Any) -> dict[str, Any]:
    record = {
        "uscc": make_uscc(100_000 + n),
        "name": f"导入测试制造有限公司{n}",
        "city_code": "HHHT",
        "sub_industry_code": "FOOD",
        "district": "赛罕区",
        "above_scale": "是",
        "quality_tier": "none",
        "size_class": "small",
    }
    record.update(overrides)
    return record


def enterprise_file(count: int, fmt: str = "utf-8", **overrides: Any) -> bytes:
    return kind_file("enterprises", (enterprise_record(n, **overrides) for n in range(count)), fmt)
