"""What the kept-counter modules (`cities/roster_triggers.py`, `assessments/level_triggers.py`,
`projects/stage_triggers.py` and their selectors) share: which triggers a table has now, a
date's month in SQL, and the comparison of kept counters with their recount."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")


def triggers_on(connection: Any, table: str) -> set[str]:
    """The names of the user-defined triggers on `table` (PostgreSQL or SQLite)."""
    if connection.vendor == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [table])
        return {row[0] for row in cursor.fetchall()}


def missing_triggers(connection: Any, triggers: Mapping[str, Mapping[str, list[str]]]) -> list[str]:
    """Of `triggers` (vendor → table → trigger names), those not (or no longer) on their tables
    on this connection's database."""
    absent = []
    for table, names in triggers.get(connection.vendor, {}).items():
        present = triggers_on(connection, table)
        absent += [name for name in names if name not in present]
    return absent


def month_sql(date: str, vendor: str) -> str:
    """SQL: the month of the date expression `date` as year × 12 + month − 1 (dates are ISO text
    on SQLite)."""
    if vendor == "postgresql":
        return f"(EXTRACT(YEAR FROM {date})::int * 12 + EXTRACT(MONTH FROM {date})::int - 1)"
    year, month = (f"CAST(substr({date}, {at}) AS INTEGER)" for at in ("1, 4", "6, 2"))
    return f"({year} * 12 + {month} - 1)"


def differing(kept: Mapping[K, V], recomputed: Mapping[K, V], zero: V) -> Iterator[tuple[K, V, V]]:
    """(key, kept, recomputed) for every key whose kept value differs from its recount, in key
    order; a key missing on either side counts `zero` there."""
    for key in sorted(kept.keys() | recomputed.keys()):  # type: ignore[type-var]
        if kept.get(key, zero) != recomputed.get(key, zero):
            yield key, kept.get(key, zero), recomputed.get(key, zero)
