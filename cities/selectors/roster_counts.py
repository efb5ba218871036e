"""Reads of the roster counters (`RosterCount`, docs/rules.md "Kept current level")."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection

from sme_pilot.db_triggers import differing

from .. import roster_triggers
from ..models import RosterCount

Key = tuple[int, int, int, bool, str, int]


@dataclass(frozen=True)
class RosterCountDifference:
    """A key whose kept count is not the number of roster rows with that key."""

    key: Key  # city_id, sub_industry_id, district_id (0: none), above_scale, tier, level (-1)
    kept: int
    recomputed: int


def roster_count_differences() -> Iterator[RosterCountDifference]:
    """Every key whose kept count differs from a recount of the roster (one GROUP BY), in key
    order. A key without a counter row counts 0, as does a row kept with `n` 0."""
    with connection.cursor() as cursor:
        cursor.execute(roster_triggers.RECOMPUTED)
        recomputed: dict[Key, int] = {
            (int(c), int(s), int(d), bool(a), str(t), int(lv)): int(n)
            for c, s, d, a, t, lv, n in cursor.fetchall()
        }
    kept: dict[Key, int] = {
        (c, s, d, bool(a), t, lv): n
        for c, s, d, a, t, lv, n in RosterCount.objects.values_list(*RosterCount.KEY, "n")
    }
    for key, mine, theirs in differing(kept, recomputed, 0):
        yield RosterCountDifference(key, mine, theirs)


def roster_count_keys() -> int:
    return RosterCount.objects.count()
