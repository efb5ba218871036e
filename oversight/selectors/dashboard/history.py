"""One city's level history in one statement: the trend's monthly counts, the baseline levels.

Every confirmed assessment of the city up to `as_of` is a validity interval in months: from the
month it was assessed to the month of the next confirmed assessment of the same enterprise in
`EARLIEST_FIRST` order (open when there is none). An enterprise's level at a month's end (or at
`as_of` in its month) is the level of the one interval covering that month; an assessment
followed by another in the same month covers no month end. The first assessment in that order is
the enterprise's baseline. The database numbers the rows with window functions and sends back
only counts: intervals at the rule's level per sub-industry and (from, to) month, and baselines
per sub-industry, level and size.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Case, F, IntegerField, Q, Value, When, Window
from django.db.models.functions import Lead, RowNumber

from assessments import level_triggers
from assessments.models import LevelMonthCount
from assessments.selectors import (
    EARLIEST_FIRST,
    assessed_month,
    counting_assessments,
    is_today,
)
from cities.models import PilotCity, SubIndustry
from oversight import compliance
from oversight.selectors.compliance import counted_q

INTERVALS, FIRST_MONTH, BASELINES = 1, 2, 3


def month_index(day: dt.date) -> int:
    """Months since year 0, the history's unit (January 2024 is 2024 × 12)."""
    return day.year * 12 + day.month - 1


@dataclass
class LevelHistory:
    # (sub-industry code, from month, to month or None: still valid) → counted enterprises at the
    # rule's level at the end of every month from the first up to, not including, the second.
    intervals: dict[tuple[str, int, int | None], int] = field(default_factory=dict)
    first_month: int | None = None  # the earliest month a counted enterprise was assessed in
    # Per sub-industry code: enterprises by baseline level (those ever confirmed up to `as_of`).
    baseline: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    below_scale_baseline_at_or_above: int = 0  # below-scale enterprises, baseline ≥ min level

    def counts(self, months: list[int], codes: set[str]) -> dict[str, list[int]]:
        """Counted enterprises at the rule's level at each given month's end (consecutive
        months, oldest first), per code: each interval adds its count from its first covered
        month to before its end (a difference array)."""
        per_sub = {code: [0] * (len(months) + 1) for code in codes}
        if not months:
            return {code: [] for code in codes}
        first, last = months[0], months[-1]
        for (code, start, end), n in self.intervals.items():
            if code not in per_sub or start > last or (end is not None and end <= first):
                continue
            row = per_sub[code]
            row[max(start, first) - first] += n
            if end is not None and end <= last:
                row[end - first] -= n
        out: dict[str, list[int]] = {}
        for code, deltas in per_sub.items():
            running, values = 0, []
            for delta in deltas[:-1]:
                running += delta
                values.append(running)
            out[code] = values
        return out


def level_history(city: PilotCity, as_of: dt.date, rule: compliance.Rule) -> LevelHistory:
    """The city's confirmed assessments up to `as_of` as intervals and baselines (one query):
    today's from the kept counters, an earlier day's from the assessments."""
    if is_today(as_of):
        return kept_level_history(city, rule)
    month = assessed_month()

    def ordered(expression: Any) -> Window:
        return Window(expression, partition_by=[F("enterprise_id")], order_by=list(EARLIEST_FIRST))

    def flag(q: Any) -> Case:
        return Case(When(q, then=Value(1)), default=Value(0), output_field=IntegerField())

    rows: Any = (
        counting_assessments(as_of=as_of)
        .filter(enterprise__city=city)
        .order_by()
        .annotate(
            sub=F("enterprise__sub_industry__code"),
            counted=flag(counted_q(rule, "enterprise__")),
            above=flag(Q(enterprise__above_scale=True)),
            from_month=month,
            to_month=ordered(Lead(month)),
            rn=ordered(RowNumber()),
        )
        .values("sub", "counted", "above", "level", "from_month", "to_month", "rn")
    )
    inner, params = rows.query.sql_with_params()
    sql = (
        f"WITH h AS ({inner}) "  # noqa: S608 (compiled ORM SQL)
        f"SELECT {INTERVALS}, sub, from_month, to_month, COUNT(*) FROM h "
        "WHERE counted = 1 AND level >= %s GROUP BY sub, from_month, to_month "
        f"UNION ALL SELECT {FIRST_MONTH}, NULL, MIN(from_month), NULL, COUNT(*) FROM h "
        "WHERE counted = 1 "
        f"UNION ALL SELECT {BASELINES}, sub, level, above, COUNT(*) FROM h "
        "WHERE rn = 1 GROUP BY sub, level, above"
    )
    history = LevelHistory()
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, rule.min_level))
        for kind, code, a, b, n in cursor.fetchall():
            if kind == INTERVALS:
                key = (code, int(a), None if b is None else int(b))
                history.intervals[key] = history.intervals.get(key, 0) + int(n)
            elif kind == FIRST_MONTH:
                history.first_month = None if a is None else int(a)
            else:
                level = int(a)
                history.baseline[code][level] += int(n)
                if not int(b) and level >= rule.min_level:
                    history.below_scale_baseline_at_or_above += int(n)
    return history


def kept_level_history(city: PilotCity, rule: compliance.Rule) -> LevelHistory:
    """Today's history of the city from `LevelMonthCount` (docs/rules.md "Kept level history"):
    one query over the city's counter rows, one of its sub-industries' codes. Each kind 0 row
    of a counted key at the rule's level or above changes the running count from its month on
    (an interval without an end); each kind 1 row counts baselines."""
    history = LevelHistory()
    codes = dict(SubIndustry.objects.filter(city=city).order_by().values_list("pk", "code"))
    rows = (
        LevelMonthCount.objects.filter(city_id=city.pk)
        .exclude(n=0)
        .values_list(
            "sub_industry_id", "above_scale", "quality_tier", "kind", "level", "month", "n"
        )
    )
    first: int | None = None
    for sub_id, above, tier, kind, level, month, n in rows:
        code = codes.get(sub_id)
        if code is None:  # a sub-industry deleted since: its enterprises moved (none count)
            continue
        counted = tier in rule.counted_tiers or (rule.count_above_scale and above)
        if kind == level_triggers.SPANS:
            if counted and level >= rule.min_level:
                key = (code, month, None)
                history.intervals[key] = history.intervals.get(key, 0) + n
            continue
        history.baseline[code][level] += n
        if not above and level >= rule.min_level:
            history.below_scale_baseline_at_or_above += n
        if counted and n > 0:
            first = month if first is None else min(first, month)
    history.first_month = first
    return history
