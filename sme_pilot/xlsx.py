"""Writing spreadsheets safely (openpyxl write-only), for every app's XLSX exports.

Text that a spreadsheet would read as a formula (starting with = + - @, or a tab or carriage
return that some programs strip first) is written as a text cell with Excel's quote prefix: it
is shown, edited and read back as the same text, never evaluated. Column widths follow their
content: a CJK character counts as two, anything else as one.

Exports stream, so that their memory does not grow with their rows (issue 17 item 5): the rows
come from a database iterator (`streamed`: `CHUNK_ROWS` fetched at a time) and are read once;
openpyxl's write-only sheet keeps the rows it has written in its own temporary file, and the
workbook is written into a temporary file the response is then served from
(`sme_pilot.downloads.temporary_file_response`). Hence the column widths come from the header
and the first `WIDTH_ROWS` rows only (held until the widths are set, then written): a longer
value further down is written whole, in a column that may show less of it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import IO, Any, Final, TypeVar

from django.db.models import Model, QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
MIN_WIDTH: Final = 8
MAX_WIDTH: Final = 60
# Rows an export fetches from the database at a time (QuerySet.iterator's chunk_size).
CHUNK_ROWS: Final = 2_000
# Rows the column widths are measured on, with the header.
WIDTH_ROWS: Final = 1_000

_M = TypeVar("_M", bound=Model)


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


def streamed(rows: QuerySet[_M]) -> Iterator[_M]:
    """An export's rows from the database, `CHUNK_ROWS` at a time, never all at once."""
    return rows.iterator(chunk_size=CHUNK_ROWS)


def write_table_xlsx(
    out: IO[bytes], title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """One sheet written to `out`: the header (frozen), then the rows, read once, every text
    cell formula-safe; columns sized to the header and the first `WIDTH_ROWS` rows."""
    rest = iter(rows)
    first = list(islice(rest, WIDTH_ROWS))
    widths = [display_width(t) for t in header]
    for row in first:
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
    for row in first:
        ws.append([safe_cell(ws, v) for v in row])
    del first
    for row in rest:
        ws.append([safe_cell(ws, v) for v in row])
    wb.save(out)
