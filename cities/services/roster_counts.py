"""Rebuilding the roster counters (`RosterCount`, docs/rules.md "Kept current level").

The counters are kept by triggers (`cities/roster_triggers.py`); this is the repair, for
`verify_aggregates --fix`."""

from __future__ import annotations

from django.db import connection, transaction

from .. import roster_triggers


def rebuild_roster_counts() -> None:
    """Recount every key from the roster and replace the counters, in one transaction. On
    PostgreSQL the roster is locked against writes (SHARE) for that transaction, so no write
    lands between the recount and the commit uncounted."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {roster_triggers.ROSTER} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {roster_triggers.TABLE}")  # noqa: S608 (constant)
        cursor.execute(roster_triggers.REBUILD)
