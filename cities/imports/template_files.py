"""Downloadable XLSX templates of an import kind: what a city official fills in. No database.

The first sheet has the kind's Chinese headers and one example row; the second, "可选值", lists
the allowed values (Chinese labels) of each enumerated column, and the first sheet's enumerated
columns offer them as a drop-down. The readers read the first sheet only, and every header is
one `map_header` accepts.

The example row is marked, in grey, by `EXAMPLE_MARK` in the cell after its last column: the
import skips a row so marked and reports "已跳过示例行" (a sample enterprise must not land in the
registry because the official left the example in). The downloaded template therefore imports
as it is, with nothing written; the official fills rows 3 onwards, or overwrites row 2 and
clears the mark.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from .columns import KindSpec
from .results import EXAMPLE_MARK

OPTIONS_SHEET: Final = "可选值"
DATA_SHEET: Final = "导入数据"
CONTENT_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows of the first sheet that offer the drop-down of an enumerated column.
VALIDATED_ROWS: Final = 5000
_HEADER_FONT: Final = Font(bold=True)
_REQUIRED_FILL: Final = PatternFill("solid", fgColor="FFF2CC")
_EXAMPLE_FONT: Final = Font(italic=True, color="808080")


def template_filename(spec: KindSpec) -> str:
    return f"{spec.label}导入模板.xlsx"


def template_xlsx(spec: KindSpec, *, examples: Mapping[str, str] | None = None) -> bytes:
    """The kind's template; `examples` replaces some columns' example values (e.g. the city
    official's own city code)."""
    examples = examples or {}
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = DATA_SHEET
    options = workbook.create_sheet(OPTIONS_SHEET)

    sheet.append([column.label for column in spec.columns])
    sheet.append(
        [*(examples.get(column.name, column.example) for column in spec.columns), EXAMPLE_MARK]
    )
    for cell in sheet[2]:
        cell.font = _EXAMPLE_FONT
    sheet.column_dimensions[get_column_letter(len(spec.columns) + 1)].width = (
        len(EXAMPLE_MARK) * 2 + 2
    )
    sheet.freeze_panes = "A2"
    enumerated = 0
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=1, column=index)
        header.font = _HEADER_FONT
        if column.required and not column.blank:
            header.fill = _REQUIRED_FILL
        sheet.cell(row=2, column=index).number_format = "@"  # typed text stays text
        width = max(len(column.label), len(str(examples.get(column.name, column.example))))
        sheet.column_dimensions[letter].width = max(10, width * 2 + 2)
        if not column.options:
            continue
        enumerated += 1
        target = get_column_letter(enumerated)
        options.cell(row=1, column=enumerated, value=column.label).font = _HEADER_FONT
        for row, value in enumerate(column.options, start=2):
            options.cell(row=row, column=enumerated, value=value)
        options.column_dimensions[target].width = max(
            10, max(len(v) for v in (column.label, *column.options)) * 2 + 2
        )
        last = len(column.options) + 1
        validation = DataValidation(
            type="list",
            formula1=f"{quote_sheetname(OPTIONS_SHEET)}!${target}$2:${target}${last}",
            allow_blank=True,
            showErrorMessage=False,  # the import reports a wrong value, with the allowed ones
        )
        validation.add(f"{letter}2:{letter}{VALIDATED_ROWS + 1}")
        sheet.add_data_validation(validation)
    if not enumerated:
        options.cell(row=1, column=1, value="本类型没有枚举列")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
