"""The spreadsheet writer every export uses (sme_pilot.xlsx): rows read once, widths from the
header and the first rows, formula-looking text kept as text."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from sme_pilot import xlsx

LONG = "内蒙古自治区呼和浩特市赛罕区绿色特色食品精深加工集团股份有限公司"


def test_rows_are_read_once_and_widths_come_from_the_first_rows(monkeypatch):
    monkeypatch.setattr(xlsx, "WIDTH_ROWS", 2)
    read = []

    def rows():
        for row in (["短"], ["中等长度"], [LONG], ["=1+1"]):
            read.append(row[0])
            yield row

    out = io.BytesIO()
    xlsx.write_table_xlsx(out, "表", ["名称"], rows())
    assert read == ["短", "中等长度", LONG, "=1+1"]  # one pass, in order
    sheet = load_workbook(out).active
    assert [c.value for c in sheet["A"]] == ["名称", "短", "中等长度", LONG, "=1+1"]
    # "中等长度" (8) is the widest of the header and the first two rows; the long name after
    # them is written whole but does not widen its column.
    assert sheet.column_dimensions["A"].width == xlsx.display_width("中等长度") + 2 == 10
    assert sheet["A5"].data_type == "s" and sheet["A5"].quotePrefix
    assert sheet.freeze_panes == "A2"


def test_an_empty_table_is_its_header():
    out = io.BytesIO()
    xlsx.write_table_xlsx(out, "表", ["统一社会信用代码", "企业名称"], iter([]))
    sheet = load_workbook(out).active
    assert list(sheet.iter_rows(values_only=True)) == [("统一社会信用代码", "企业名称")]
    assert sheet.column_dimensions["A"].width == 18
