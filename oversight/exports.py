"""The roster as an XLSX file, with each enterprise's current level (openpyxl write-only).

The first columns are exactly the `enterprises` import's, with its headers and in its order, so
that the exported file can be edited and imported back as is; the read-only columns after them
(sub-industry name, counted in the denominator, current level and its date) are the import
kind's `ignored` headers, which the import accepts and does not read.

Text that a spreadsheet would read as a formula (starting with = + - @, or a tab or carriage
return that some programs strip first) is written as a text cell with Excel's quote prefix: it
is shown, edited and read back as the same text, never evaluated.

Column widths follow their content: a CJK character counts as two, anything else as one.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from assessments.models import LEVEL_NAMES
from cities.imports import registry
from cities.imports.kinds import ENTERPRISES
from cities.models import Enterprise, QualityTier, SizeClass

from . import compliance

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
SHEET_TITLE: Final = "企业名录"
MIN_WIDTH: Final = 8
MAX_WIDTH: Final = 60


def header() -> tuple[str, ...]:
    """The import's column headers, then its read-only ones."""
    spec = registry.spec(ENTERPRISES)
    return (*(column.label for column in spec.columns), *spec.ignored)


def display_width(value: object) -> int:
    """Width in spreadsheet characters: wide (CJK, full-width) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(value))


def safe_cell(ws: WriteOnlyWorksheet, value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # openpyxl would store "=…" as a formula
        cell.quotePrefix = True
        return cell
    return value


def _row(
    e: Enterprise, rule: compliance.Rule, tiers: dict[str, str], sizes: dict[str, str]
) -> list[object]:
    level = getattr(e, "current_level", None)
    on = getattr(e, "current_level_on", None)
    counted = rule.counts_in_denominator(above_scale=e.above_scale, quality_tier=e.quality_tier)
    return [
        # The import's columns (cities.imports.kinds, ENTERPRISES), in its order.
        e.uscc,
        e.name,
        e.city.code,
        e.sub_industry.code,
        e.district.name if e.district is not None else "",
        "是" if e.above_scale else "否",
        tiers.get(e.quality_tier, e.quality_tier),
        sizes.get(e.size_class, e.size_class),
        # Read-only.
        e.sub_industry.name,
        "是" if counted else "否",
        "未评定" if level is None else LEVEL_NAMES.get(level, str(level)),
        on.isoformat() if on is not None else "",
    ]


def roster_xlsx(enterprises: Iterable[Enterprise], *, rule: compliance.Rule) -> bytes:
    """`enterprises` annotated with `current_level` and `current_level_on`, `city` and
    `sub_industry` selected; one row each, in the given order."""
    tiers = {str(k): str(v) for k, v in QualityTier.choices}
    sizes = {str(k): str(v) for k, v in SizeClass.choices}
    titles = header()
    rows = [_row(e, rule, tiers, sizes) for e in enterprises]
    widths = [display_width(t) for t in titles]
    for row in rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], display_width(value))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_TITLE)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = min(
            MAX_WIDTH, max(MIN_WIDTH, width + 2)
        )
    ws.freeze_panes = "A2"
    ws.append(list(titles))
    for row in rows:
        ws.append([safe_cell(ws, v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
