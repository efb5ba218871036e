"""Reads of the project counters (`ProjectCount`, docs/rules.md "Kept project counters")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from sme_pilot.db_triggers import differing

from .. import rules, stage_triggers
from ..models import Project, ProjectCount, ProjectDayCount
from .provider_scores import after_level_of, baseline_level

Key = tuple[int, int, int]  # city_id, sub_industry_id, district_id (0: none)
Counts = tuple[int, ...]  # in `stage_triggers.COLUMNS` order


@dataclass(frozen=True)
class ProjectCountDifference:
    """A key whose kept counts are not those of its projects."""

    key: Key
    kept: Counts
    recomputed: Counts


def project_count_differences() -> Iterator[ProjectCountDifference]:
    """Every key whose kept counts differ from a recount of the projects (one GROUP BY), in key
    order. A key without a counter row counts zeros, as does a row kept with zeros."""
    zeros = (0,) * len(stage_triggers.COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(stage_triggers.recomputed(connection.vendor))
        recomputed: dict[Key, Counts] = {
            (int(row[0]), int(row[1]), int(row[2])): tuple(int(n) for n in row[3:])
            for row in cursor.fetchall()
        }
    kept: dict[Key, Counts] = {
        (row[0], row[1], row[2]): tuple(row[3:])
        for row in ProjectCount.objects.values_list(*ProjectCount.KEY, *stage_triggers.COLUMNS)
    }
    for key, mine, theirs in differing(kept, recomputed, zeros):
        yield ProjectCountDifference(key, mine, theirs)


DayKey = tuple[int, int, int, int, int]  # city, sub-industry, district, kind, value


@dataclass(frozen=True)
class ProjectDayDifference:
    """A day counter whose kept count is not the number of projects with that key."""

    key: DayKey
    kept: int
    recomputed: int


def project_day_differences() -> Iterator[ProjectDayDifference]:
    """Every day-counter key whose kept count differs from a recount of the projects (one
    GROUP BY), in key order; a missing row counts 0."""
    with connection.cursor() as cursor:
        cursor.execute(stage_triggers.day_recomputed(connection.vendor))
        recomputed: dict[DayKey, int] = {
            (int(c), int(s), int(d), int(k), int(v)): int(n) for c, s, d, k, v, n in cursor
        }
    kept: dict[DayKey, int] = {
        (c, s, d, k, v): n
        for c, s, d, k, v, n in ProjectDayCount.objects.values_list(*ProjectDayCount.KEY, "n")
    }
    for key, mine, theirs in differing(kept, recomputed, 0):
        yield ProjectDayDifference(key, mine, theirs)


@dataclass(frozen=True)
class ProjectLevelDifference:
    """A project whose kept levels are not those its assessments give it today."""

    project_id: int
    kept: tuple[int | None, int | None]  # baseline, after
    recomputed: tuple[int | None, int | None]


def _differs(field: str, annotation: str) -> Q:
    same = Q(**{field: F(annotation)}) | Q(
        **{f"{field}__isnull": True, f"{annotation}__isnull": True}
    )
    return ~same


def project_level_differences() -> Iterator[ProjectLevelDifference]:
    """Every project whose kept baseline or after level (docs/rules.md "Kept project levels")
    differs from the levels looked up as the scorecard's history path does, as of today (one
    query, streamed), in id order."""
    today = timezone.localdate()
    rows = (
        Project.objects.annotate(base=baseline_level(today), after=after_level_of(today))
        .filter(_differs("kept_baseline_level", "base") | _differs("kept_after_level", "after"))
        .order_by("pk")
        .values_list("pk", "kept_baseline_level", "kept_after_level", "base", "after")
    )
    for pk, kept_base, kept_after, base, after in rows.iterator(chunk_size=2000):
        yield ProjectLevelDifference(pk, (kept_base, kept_after), (base, after))


def project_count_keys() -> int:
    return ProjectCount.objects.count() + ProjectDayCount.objects.count()


def future_dated_projects(today: dt.date | None = None) -> int:
    """Projects with a stage or outcome date after `today` (default: today). The counters read
    "has the date" as "reached by today", which holds because no write path accepts such a date
    (`rules.future_date_errors`); rows written before that rule could still have one."""
    today = today or timezone.localdate()
    late = Q(pk__in=[])
    for _, field in stage_triggers.COUNTED:
        late |= Q(**{f"{field}__gt": today})
    return Project.objects.filter(late).count()


def counts_apply(as_of: dt.date) -> bool:
    """Whether the figures as of `as_of` may be read from the counters: only today's."""
    return as_of == timezone.localdate()


EPOCH = dt.date.fromisoformat(stage_triggers.EPOCH)


def day_value(day: dt.date) -> int:
    """A date as the day counters keep it (kinds 0 and 1)."""
    return (day - EPOCH).days


def nth_earliest_day(city_id: int, kind: int, upto: dt.date, nth: int) -> dt.date | None:
    """The date by which `nth` of the city's projects of day-counter `kind` (awaiting completion
    or acceptance) fall, counting only dates up to `upto`; `upto` if fewer do, None if none do.
    Bounds the overdue lists' query to the rows it returns (`_overdue_rows`). One query."""
    seen = 0
    day: dt.date | None = None
    rows = (
        ProjectDayCount.objects.filter(
            city_id=city_id, kind=kind, value__lte=day_value(upto), n__gt=0
        )
        .values_list("value", "n")
        .order_by("value")
    )
    for value, n in rows.iterator(chunk_size=500):
        seen += n
        day = EPOCH + dt.timedelta(days=value)
        if seen >= nth:
            return day
    return None if day is None else upto


def stage_durations(city_id: int) -> list[list[tuple[int, int]]]:
    """Per stage in pipeline order, the (days from the previous stage, projects) of the city's
    projects that reached it, from the kept day counters (the first stage has none). One
    query. What `_stage_durations` of the dashboard counts from the dates, as a histogram."""
    found: list[list[tuple[int, int]]] = [[] for _ in rules.STAGES]
    rows = (
        ProjectDayCount.objects.filter(
            city_id=city_id, kind__in=stage_triggers.DURATION_KINDS, n__gt=0
        )
        .values_list("kind", "value", "n")
        .order_by("kind", "value")
    )
    for kind, value, n in rows:
        found[kind - stage_triggers.FIRST_DURATION + 1].append((value, n))
    return found
