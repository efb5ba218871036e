"""Turn an uploaded file's bytes into a header and numbered rows of strings. No database.

Accepted: CSV in UTF-8 (with or without BOM) or GB18030, and XLSX (first sheet). The format is
recognised from the content, never from the file name. Row numbers are the ones a spreadsheet
shows: the first record is row 1, blank rows are skipped but still counted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, TypeVar

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


def read_table(content: bytes, *, max_rows: int | None = None) -> Table:
    """Read CSV or XLSX bytes into a Table, or raise ImportFileError.

    `max_rows` bounds the rows read, blank ones included (a sheet's empty rows cost time too);
    a file with more is refused without reading the rest.
    """
    file_format = detect_format(content[:8192])
    if file_format == "xlsx":
        records = _xlsx_records(content, max_rows)
    else:
        if b"\x00" in content:
            raise ImportFileError(UNSUPPORTED_FORMAT)
        records = _csv_records(decode_text(content), max_rows)
    return _to_table(records, file_format)


def decode_text(content: bytes) -> str:
    """UTF-8 with BOM, then strict UTF-8, then GB18030 (a superset of GBK and GB2312)."""
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            return content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFileError(UNDECODABLE) from None
    for encoding in ("utf-8", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(UNDECODABLE)


def _csv_records(text: str, max_rows: int | None) -> list[list[str]]:
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), strict=True):
            if max_rows is not None and len(records) >= max_rows:
                raise ImportFileError(too_many_rows(max_rows))
            records.append(list(_within_columns(record, len(records) + 1)))
    except csv.Error as exc:
        raise ImportFileError(f"CSV 格式错误：{str(exc)[:200]}") from None
    return records


def _xlsx_records(content: bytes, max_rows: int | None) -> list[list[str]]:
    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it drops (styles, data validation,
            # extensions); those do not affect cell values.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            workbook = load_workbook(
                io.BytesIO(content), read_only=True, data_only=True, keep_links=False
            )
            try:
                if not workbook.worksheets:
                    raise ImportFileError(EMPTY_FILE)
                sheet = workbook.worksheets[0]
                # The stored dimension of a sheet written by other tools can be wrong;
                # forgetting it makes openpyxl read every row that is really there.
                sheet.reset_dimensions()
                rows = sheet.iter_rows(
                    max_row=None if max_rows is None else max_rows + 1, values_only=True
                )
                records = [
                    [cell_text(value) for value in _within_columns(row, number)]
                    for number, row in enumerate(rows, start=1)
                ]
                if max_rows is not None and len(records) > max_rows:
                    raise ImportFileError(too_many_rows(max_rows))
                return records
            finally:
                workbook.close()
    except ImportFileError:
        raise
    except Exception:
        # A zip that is not a workbook (a .docx, a plain archive) or a damaged workbook:
        # openpyxl, zipfile and the XML parsers each raise their own exception types.
        raise ImportFileError(UNSUPPORTED_FORMAT) from None


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


def _to_table(records: list[list[str]], file_format: str) -> Table:
    rows: list[tuple[int, tuple[str, ...]]] = []
    header: tuple[str, ...] | None = None
    header_row = 0
    for number, record in enumerate(records, start=1):
        cells = tuple([cell.strip(_WHITESPACE) for cell in record])  # clean_cell, inlined
        if not any(cells):
            continue
        if header is None:
            header, header_row = cells, number
        else:
            rows.append((number, cells))
    if header is None:
        raise ImportFileError(NO_HEADER if records else EMPTY_FILE)
    return Table(header=header, header_row=header_row, rows=rows, file_format=file_format)
