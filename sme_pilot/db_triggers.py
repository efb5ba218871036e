"""What the kept-counter trigger modules (`cities/roster_triggers.py`,
`projects/stage_triggers.py`) share: which triggers a table has now."""

from __future__ import annotations

from typing import Any


def triggers_on(connection: Any, table: str) -> set[str]:
    """The names of the user-defined triggers on `table` (PostgreSQL or SQLite)."""
    if connection.vendor == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [table])
        return {row[0] for row in cursor.fetchall()}
