"""Turn an uploaded file into a header and numbered rows of strings. No database.

Accepted: CSV in UTF-8 (with or without BOM) or GB18030, and XLSX (first sheet). The format is
recognised from the content, never from the file name. Row numbers are the ones a spreadsheet
shows: the first record is row 1, blank rows are skipped but still counted.

`open_table` streams: it reads the header and hands the rows over one at a time, holding a
block of the file, never the whole of it decoded (an import of a million rows holds a chunk of
them, docs/rules.md §3.2). `read_table` is the same rows in a list, for small files and tests.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any, Final, TypeVar

from openpyxl import load_workbook

T = TypeVar("T")

XLSX_MAGIC: Final = b"PK\x03\x04"
UNSUPPORTED_FORMAT: Final = "不支持的文件格式：请上传 CSV（UTF-8 或 GB18030 编码）或 XLSX 文件"
EMPTY_FILE: Final = "文件为空"
NO_HEADER: Final = "文件中没有表头：第一行应为列名"
UNDECODABLE: Final = "无法识别文件编码：CSV 文件请保存为 UTF-8 或 GB18030 编码"
# Columns read per row: every import kind has fewer than ten; a cell further right is an error,
# and nothing beyond MAX_COLUMNS + 1 is converted or kept.
MAX_COLUMNS: Final = 64
# Members of an XLSX archive: a workbook has a dozen; thousands are a zip bomb's trick.
MAX_ZIP_MEMBERS: Final = 1000
# Bytes read at a time while a CSV's encoding is checked.
BLOCK_BYTES: Final = 1 << 20

# Signatures of formats people upload by mistake; anything with NUL bytes is binary as well.
_BINARY_MAGIC: Final = (
    b"%PDF",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # OLE2: .xls, .doc
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"\x1f\x8b",  # gzip
    b"Rar!",
    b"7z\xbc\xaf",
)
_WHITESPACE: Final = " \t\r\n\u3000\ufeff\xa0"


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message says why, in Chinese."""


@dataclass(frozen=True)
class Size:
    """What reading a file will cost, known without reading it: see `measure`."""

    file_format: str
    unzipped_bytes: int  # CSV: the file; XLSX: every member of the archive, uncompressed
    lines: int | None  # CSV: line breaks + 1, an upper bound of its rows; XLSX: unknown


def too_many_rows(limit: int) -> str:
    return f"文件超过 {limit} 行（含空行），请拆分后分批导入"


def measure(content: bytes, *, max_unzipped_bytes: int) -> Size:
    """Format and size of a file from its bytes and, for XLSX, its zip directory only.

    Refuses (ImportFileError) an archive that unpacks to more than `max_unzipped_bytes` or has
    more than MAX_ZIP_MEMBERS members, before anything is decompressed.
    """
    file_format = detect_format(content[:8192])
    if file_format == "csv":
        return Size("csv", len(content), content.count(b"\n") + 1)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError(UNSUPPORTED_FORMAT) from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportFileError(UNSUPPORTED_FORMAT)
    unzipped = sum(member.file_size for member in members)
    if unzipped > max_unzipped_bytes:
        raise ImportFileError(
            f"XLSX 文件解压后过大（{unzipped // (1024 * 1024)} MB），"
            f"上限为 {max_unzipped_bytes // (1024 * 1024)} MB，请拆分后分批导入"
        )
    return Size("xlsx", unzipped, None)


@dataclass(frozen=True)
class Table:
    """A header and its data rows; each row keeps the number a spreadsheet shows for it."""

    header: tuple[str, ...]
    header_row: int
    rows: list[tuple[int, tuple[str, ...]]]
    file_format: str  # "csv" or "xlsx"


def clean_cell(value: str) -> str:
    return value.strip(_WHITESPACE)


def detect_format(head: bytes) -> str:
    """ "csv" or "xlsx" from the first bytes of a file, or ImportFileError.

    Cheap enough for an upload view to refuse a PDF before storing it; decoding errors are only
    found when the whole file is read.
    """
    if not head:
        raise ImportFileError(EMPTY_FILE)
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(_BINARY_MAGIC) or b"\x00" in head:
        raise ImportFileError(UNSUPPORTED_FORMAT)
    return "csv"


Source = bytes | IO[bytes]  # a file's content, or a seekable binary file open on it


def _handle(source: Source) -> IO[bytes]:
    return io.BytesIO(source) if isinstance(source, bytes) else source


@dataclass
class StreamedTable:
    """A file's header, read; its data rows, each with its spreadsheet row number, read as
    `rows` is iterated (once). Reading may still raise ImportFileError part-way: a malformed
    record, too many rows or columns further down the file."""

    header: tuple[str, ...]
    header_row: int
    rows: Iterator[tuple[int, tuple[str, ...]]]
    file_format: str  # "csv" or "xlsx"
    estimated_rows: int | None  # an upper bound of the rows, for progress; None if unknown


def open_table(source: Source, *, max_rows: int | None = None) -> StreamedTable:
    """Open CSV or XLSX content (bytes or a seekable binary file) as a StreamedTable, or raise
    ImportFileError. `max_rows` bounds the records read, blank ones included (a sheet's empty
    rows cost time too): the record after the last allowed one raises."""
    handle = _handle(source)
    handle.seek(0)
    file_format = detect_format(handle.read(8192))
    handle.seek(0)
    if file_format == "xlsx":
        records, estimate = _xlsx_records(handle, max_rows)
    else:
        encoding, lines = _csv_encoding(handle)
        handle.seek(0)
        # The lines after the header's: at least as many as the data rows.
        records, estimate = _csv_records(handle, encoding, max_rows), lines - 1
    return _streamed(records, file_format, estimate)


def read_table(source: Source, *, max_rows: int | None = None) -> Table:
    """Read CSV or XLSX content into a Table (every row in a list), or raise ImportFileError."""
    table = open_table(source, max_rows=max_rows)
    return Table(table.header, table.header_row, list(table.rows), table.file_format)


def _csv_encoding(handle: IO[bytes]) -> tuple[str, int]:
    """The file's encoding, checked over the whole file a block at a time (nothing decoded is
    kept), and its line count (an upper bound of its records). UTF-8 with BOM, then strict
    UTF-8, then GB18030 (a superset of GBK and GB2312). A NUL byte means a binary file."""
    bom = handle.read(3) == codecs.BOM_UTF8
    for encoding in ("utf-8-sig",) if bom else ("utf-8", "gb18030"):
        handle.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        lines = 1
        try:
            while block := handle.read(BLOCK_BYTES):
                if b"\x00" in block:
                    raise ImportFileError(UNSUPPORTED_FORMAT)
                lines += block.count(b"\n")
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding, lines
    raise ImportFileError(UNDECODABLE)


def _csv_records(handle: IO[bytes], encoding: str, max_rows: int | None) -> Iterator[Sequence[str]]:
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")  # type: ignore[arg-type]
    try:
        for number, record in enumerate(csv.reader(text, strict=True), start=1):
            if max_rows is not None and number > max_rows:
                raise ImportFileError(too_many_rows(max_rows))
            yield _within_columns(record, number)
    except csv.Error as exc:
        raise ImportFileError(f"CSV 格式错误：{str(exc)[:200]}") from None
    finally:
        text.detach()  # the caller's file stays open


@contextmanager
def _openpyxl() -> Iterator[None]:
    """Reading a workbook: openpyxl's warnings silenced, its failures an ImportFileError."""
    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it drops (styles, data validation,
            # extensions); those do not affect cell values.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            yield
    except ImportFileError:
        raise
    except Exception:
        # A zip that is not a workbook (a .docx, a plain archive) or a damaged workbook:
        # openpyxl, zipfile and the XML parsers each raise their own exception types.
        raise ImportFileError(UNSUPPORTED_FORMAT) from None


def _xlsx_records(
    handle: IO[bytes], max_rows: int | None
) -> tuple[Iterator[Sequence[str]], int | None]:
    with _openpyxl():
        workbook = load_workbook(handle, read_only=True, data_only=True, keep_links=False)
        if not workbook.worksheets:
            workbook.close()
            raise ImportFileError(EMPTY_FILE)
        sheet = workbook.worksheets[0]
        # The sheet's stored dimension, when it has one, estimates its rows for progress; it
        # can be wrong in sheets written by other tools, so it bounds nothing, and forgetting
        # it makes openpyxl read every row that is really there.
        stored = sheet.max_row if isinstance(sheet.max_row, int) and sheet.max_row > 1 else None
        sheet.reset_dimensions()
    return _xlsx_rows(workbook, sheet, max_rows), stored


def _xlsx_rows(workbook: Any, sheet: Any, max_rows: int | None) -> Iterator[Sequence[str]]:
    try:
        with _openpyxl():
            rows = sheet.iter_rows(
                max_row=None if max_rows is None else max_rows + 1, values_only=True
            )
            for number, row in enumerate(rows, start=1):
                if max_rows is not None and number > max_rows:
                    raise ImportFileError(too_many_rows(max_rows))
                yield [cell_text(value) for value in _within_columns(row, number)]
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person sees: 1.0 → "1", a date → "YYYY-MM-DD"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # repr() is the shortest text that round-trips (44.975, not 44.97499999...).
        return format(Decimal(repr(value)), "f")
    return clean_cell(str(value))


def _within_columns(row: Sequence[T], number: int) -> Sequence[T]:
    """The row's first MAX_COLUMNS cells; a value further right refuses the file.

    A sheet's row is as long as its last cell (column XFD: 16,384); `any` and slicing run in C,
    so the rest is never converted.
    """
    if len(row) > MAX_COLUMNS and any(row[MAX_COLUMNS:]):
        raise ImportFileError(f"第 {number} 行超过 {MAX_COLUMNS} 列：请只保留导入所需的列")
    return row[:MAX_COLUMNS]


def _streamed(
    records: Iterable[Sequence[str]], file_format: str, estimate: int | None
) -> StreamedTable:
    """The first non-blank record is the header; the rows after it are read on demand."""
    numbered = enumerate(records, start=1)
    seen = 0
    for number, record in numbered:
        seen = number
        cells = tuple([cell.strip(_WHITESPACE) for cell in record])  # clean_cell, inlined
        if any(cells):
            return StreamedTable(cells, number, _data_rows(numbered), file_format, estimate)
    raise ImportFileError(NO_HEADER if seen else EMPTY_FILE)


def _data_rows(
    numbered: Iterator[tuple[int, Sequence[str]]],
) -> Iterator[tuple[int, tuple[str, ...]]]:
    for number, record in numbered:
        cells = tuple([cell.strip(_WHITESPACE) for cell in record])  # clean_cell, inlined
        if any(cells):
            yield number, cells
