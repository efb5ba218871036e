"""Reading import files: encodings, XLSX cells, row numbers, refused formats. Pure: no database."""

import datetime as dt
import io
import zipfile

import pytest

from cities.imports.readers import (
    EMPTY_FILE,
    NO_HEADER,
    UNDECODABLE,
    UNSUPPORTED_FORMAT,
    ImportFileError,
    cell_text,
    read_table,
)
from tests.cities.import_files import csv_bytes, xlsx_bytes

ROWS = [["code", "name"], ["HHHT", "呼和浩特市"], ["NB", "宁波市"]]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_accepted_encoding_reads_the_same(encoding):
    table = read_table(csv_bytes(ROWS, encoding))
    assert table.file_format == "csv"
    assert table.header == ("code", "name")
    assert table.rows == [(2, ("HHHT", "呼和浩特市")), (3, ("NB", "宁波市"))]


def test_bom_does_not_end_up_in_the_first_header_cell():
    table = read_table(csv_bytes(ROWS, "utf-8-sig"))
    assert table.header[0] == "code"


def test_gb18030_text_that_is_not_utf8_is_decoded_as_gb18030():
    content = csv_bytes([["name"], ["鄂尔多斯市"]], "gb18030")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    assert read_table(content).rows == [(2, ("鄂尔多斯市",))]


def test_bytes_that_are_neither_utf8_nor_gb18030_are_refused_with_a_clear_message():
    with pytest.raises(ImportFileError, match=UNDECODABLE):
        read_table(b"code,name\r\nHHHT,\x81\x20\xff\r\n")


def test_xlsx_first_sheet_is_read_and_cells_are_shown_as_text():
    content = xlsx_bytes(
        [
            ["code", "count", "ratio", "day", "flag", "empty"],
            ["HHHT", 1.0, 44.975, dt.datetime(2024, 3, 5), True, None],
            ["NB", 12, 0.5, dt.date(2025, 1, 31), False, ""],
        ]
    )
    table = read_table(content)
    assert table.file_format == "xlsx"
    # Trailing empty cells may be absent from a row, as in CSV; parsing pads rows.
    padded = [(number, cells + ("",) * (6 - len(cells))) for number, cells in table.rows]
    assert padded == [
        (2, ("HHHT", "1", "44.975", "2024-03-05", "true", "")),
        (3, ("NB", "12", "0.5", "2025-01-31", "false", "")),
    ]


def test_xlsx_is_recognised_by_content_not_by_name():
    # No file name is involved at all: the zip signature decides.
    assert read_table(xlsx_bytes(ROWS)).file_format == "xlsx"


def test_blank_rows_are_skipped_but_counted_in_row_numbers():
    content = csv_bytes([["code", "name"], ["", ""], ["HHHT", "呼和浩特市"], [], ["NB", "宁波市"]])
    assert [number for number, _ in read_table(content).rows] == [3, 5]


def test_xlsx_blank_rows_keep_spreadsheet_row_numbers():
    content = xlsx_bytes([["code", "name"], [None, None], ["HHHT", "呼和浩特市"]])
    assert read_table(content).rows == [(3, ("HHHT", "呼和浩特市"))]


def test_quoted_newlines_do_not_shift_row_numbers():
    content = b'code,name\r\nHHHT,"two\r\nlines"\r\nNB,x\r\n'
    assert [number for number, _ in read_table(content).rows] == [2, 3]


def test_cells_are_trimmed_including_full_width_spaces():
    content = csv_bytes([[" code ", "name"], ["\u3000HHHT ", " 呼和浩特市\t"]])
    table = read_table(content)
    assert table.header == ("code", "name")
    assert table.rows[0][1] == ("HHHT", "呼和浩特市")


def test_empty_file_is_refused():
    with pytest.raises(ImportFileError, match=EMPTY_FILE):
        read_table(b"")


@pytest.mark.parametrize("content", [b"\r\n\r\n", b"   \r\n,,\r\n", b"\xef\xbb\xbf\r\n"])
def test_only_blank_lines_means_no_header(content):
    with pytest.raises(ImportFileError, match=NO_HEADER):
        read_table(content)


def test_xlsx_with_an_empty_first_sheet_has_no_header():
    with pytest.raises(ImportFileError, match=r"文件为空|没有表头"):
        read_table(xlsx_bytes([]))


def _zip(names):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,  # legacy .xls
        b"code,name\x00\x01\x02binary",
        "code,name\r\n".encode("utf-16"),
        b"\x89PNG\r\n\x1a\n",
    ],
    ids=["pdf", "xls", "nul-bytes", "utf-16", "png"],
)
def test_other_formats_are_refused(content):
    with pytest.raises(ImportFileError, match=UNSUPPORTED_FORMAT):
        read_table(content)


def test_a_zip_that_is_not_a_workbook_is_refused():
    with pytest.raises(ImportFileError, match=UNSUPPORTED_FORMAT):
        read_table(_zip(["readme.txt"]))


def test_a_truncated_workbook_is_refused():
    with pytest.raises(ImportFileError, match=UNSUPPORTED_FORMAT):
        read_table(xlsx_bytes(ROWS)[:300])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (3, "3"),
        (3.0, "3"),
        (15.5, "15.5"),
        (1.875, "1.875"),
        (True, "true"),
        (dt.datetime(2024, 1, 2, 0, 0), "2024-01-02"),
        (dt.datetime(2024, 1, 2, 8, 30), "2024-01-02 08:30:00"),
        (dt.date(2024, 1, 2), "2024-01-02"),
        ("  x ", "x"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text
