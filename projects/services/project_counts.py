"""Rebuilding the project counters (`ProjectCount`, docs/rules.md "Kept project counters").

The counters are kept by triggers (`projects/stage_triggers.py`); this is the repair, for
`verify_aggregates --fix`."""

from __future__ import annotations

from django.db import connection, transaction

from .. import stage_triggers


def rebuild_project_counts() -> None:
    """Recount every key from the projects and replace the counters, in one transaction. On
    PostgreSQL the projects and the roster are locked against writes (SHARE) for that
    transaction, so no write lands between the recount and the commit uncounted."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"LOCK TABLE {stage_triggers.PROJECTS}, {stage_triggers.ROSTER} IN SHARE MODE"
            )
        stage_triggers.rebuild(connection, cursor)
