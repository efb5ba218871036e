"""Writing spreadsheets safely (openpyxl write-only), for every app's XLSX exports.

Text that a spreadsheet would read as a formula (starting with = + - @, or a tab or carriage
return that some programs strip first) is written as a text cell with Excel's quote prefix: it
is shown, edited and read back as the same text, never evaluated. Column widths follow their
content: a CJK character counts as two, anything else as one.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
MIN_WIDTH: Final = 8
MAX_WIDTH: Final = 60


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


def table_xlsx(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """One sheet: the header (frozen), then the rows, every text cell formula-safe."""
    widths = [display_width(t) for t in header]
    for row in rows:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], display_width("" if value is None else value))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = min(
            MAX_WIDTH, max(MIN_WIDTH, width + 2)
        )
    ws.freeze_panes = "A2"
    ws.append(list(header))
    for row in rows:
        ws.append([safe_cell(ws, v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
