"""Rebuilding the project counters (`ProjectCount`, docs/rules.md "Kept project counters").

The counters are kept by triggers (`projects/stage_triggers.py`); this is the repair, for
`verify_aggregates --fix`."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from .. import stage_triggers
from ..models import Project
from ..selectors.provider_scores import after_level_of, baseline_level


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


def refresh_project_levels(project_ids: Iterable[int]) -> None:
    """Rewrite these projects' kept levels from their assessments, as the scorecard's history
    path looks them up today (`verify_aggregates --fix`; the triggers keep them otherwise)."""
    ids = sorted(set(project_ids))
    today = timezone.localdate()
    with transaction.atomic():
        for start in range(0, len(ids), 500):
            Project.objects.filter(pk__in=ids[start : start + 500]).update(
                kept_baseline_level=baseline_level(today), kept_after_level=after_level_of(today)
            )
