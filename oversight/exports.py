"""The roster as an XLSX file, with each enterprise's current level (openpyxl write-only).

Text that a spreadsheet would read as a formula (starting with = + - @, or a tab or carriage
return that some programs strip first) is written with a leading apostrophe.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any, Final

from openpyxl import Workbook

from assessments.models import LEVEL_NAMES
from cities.models import Enterprise, QualityTier, SizeClass

from . import compliance

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
HEADER: Final = (
    "统一社会信用代码",
    "企业名称",
    "细分行业代码",
    "细分行业",
    "区县",
    "是否规上",
    "优质企业梯度",
    "企业规模",
    "计入应改尽改分母",
    "当前等级",
    "当前等级评定日期",
)


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def roster_xlsx(enterprises: Iterable[Enterprise], *, rule: compliance.Rule) -> bytes:
    """`enterprises` annotated with `current_level` and `current_level_on`, `sub_industry`
    selected; one row each, in the given order."""
    tiers = dict(QualityTier.choices)
    sizes = dict(SizeClass.choices)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("企业名录")
    ws.append(list(HEADER))
    for e in enterprises:
        level = getattr(e, "current_level", None)
        on = getattr(e, "current_level_on", None)
        counted = rule.counts_in_denominator(above_scale=e.above_scale, quality_tier=e.quality_tier)
        row = [
            e.uscc,
            e.name,
            e.sub_industry.code,
            e.sub_industry.name,
            e.district,
            "是" if e.above_scale else "否",
            tiers.get(e.quality_tier, e.quality_tier),
            sizes.get(e.size_class, e.size_class),
            "是" if counted else "否",
            "未评定" if level is None else LEVEL_NAMES.get(level, str(level)),
            on.isoformat() if on is not None else "",
        ]
        ws.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
