"""The roster as an XLSX file, with each enterprise's current level (openpyxl write-only).

The first columns are exactly the `enterprises` import's, with its headers and in its order, so
that the exported file can be edited and imported back as is; the read-only columns after them
(sub-industry name, counted in the denominator, current level and its date) are the import
kind's `ignored` headers, which the import accepts and does not read.

Formula-safe cells, column widths from their content, and the rows streamed from the database
into a temporary file (memory bounded whatever the roster's size): `sme_pilot.xlsx`.
"""

from __future__ import annotations

from typing import IO, Final

from django.db.models import QuerySet

from assessments.models import LEVEL_NAMES
from cities.imports import registry
from cities.imports.kinds import ENTERPRISES
from cities.models import Enterprise, QualityTier, SizeClass
from sme_pilot.xlsx import streamed, write_table_xlsx

from . import compliance

SHEET_TITLE: Final = "企业名录"


def header() -> tuple[str, ...]:
    """The import's column headers, then its read-only ones."""
    spec = registry.spec(ENTERPRISES)
    return (*(column.label for column in spec.columns), *spec.ignored)


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


def roster_xlsx(
    out: IO[bytes], enterprises: QuerySet[Enterprise], *, rule: compliance.Rule
) -> None:
    """Write the roster to `out`: `enterprises` annotated with `current_level` and
    `current_level_on`, `city` and `sub_industry` selected; one row each, in the given order,
    read from the database in chunks."""
    tiers = {str(k): str(v) for k, v in QualityTier.choices}
    sizes = {str(k): str(v) for k, v in SizeClass.choices}
    rows = (_row(e, rule, tiers, sizes) for e in streamed(enterprises))
    write_table_xlsx(out, SHEET_TITLE, header(), rows)
