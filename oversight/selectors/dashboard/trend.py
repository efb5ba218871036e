"""The monthly trend of enterprises at the rule's level, and its projection to the pilot's end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from cities.models import PilotCity, add_months
from oversight import compliance

from .history import LevelHistory, month_index

TREND_MONTHS = 36  # at most this many months of history on the line
FIT_MONTHS = 6  # the projection is a least-squares line through the last six monthly points


def months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def month_end(first: dt.date) -> dt.date:
    nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def linear_projection(values: Sequence[int], steps_ahead: int) -> Fraction:
    """Least-squares line through the last FIT_MONTHS values, read `steps_ahead` past the last."""
    ys = list(values[-FIT_MONTHS:])
    if not ys:
        return Fraction(0)
    n = len(ys)
    if n == 1:
        return Fraction(ys[0])
    mean_x = Fraction(n - 1, 2)
    mean_y = Fraction(sum(ys), n)
    sxx = sum(((x - mean_x) * (x - mean_x) for x in range(n)), Fraction(0))
    sxy = sum(((x - mean_x) * (y - mean_y) for x, y in enumerate(ys)), Fraction(0))
    slope = sxy / sxx
    return mean_y + slope * (n - 1 + steps_ahead - mean_x)


def _trend(
    city: PilotCity,
    as_of: dt.date,
    subs: Sequence[compliance.SubIndustryResult],
    end_date: dt.date | None,
    history: LevelHistory,
) -> tuple[dict[str, Any], dict[str, Fraction | None]]:
    """The monthly counts of counted enterprises at the rule's level, from `history`."""
    first = month_index(as_of) if history.first_month is None else history.first_month
    if city.plan_approved_on is not None:
        first = min(first, month_index(city.plan_approved_on))
    start = dt.date(first // 12, first % 12 + 1, 1)
    if months_between(start, as_of) >= TREND_MONTHS:
        start = add_months(dt.date(as_of.year, as_of.month, 1), 1 - TREND_MONTHS)
    months: list[dt.date] = []
    cursor = start
    while cursor <= as_of:
        months.append(cursor)
        cursor = month_end(cursor) + dt.timedelta(days=1)
    counts = history.counts([month_index(m) for m in months], {s.code for s in subs})
    per_sub = {s.code: counts[s.code] for s in subs}
    total = [sum(v[k] for v in per_sub.values()) for k in range(len(months))]
    projections: dict[str, Fraction | None] = {}
    ahead = months_between(months[-1], end_date) if end_date is not None else 0
    for s in subs:
        if end_date is None or ahead < 0 or not s.denominator:
            projections[s.code] = None
            continue
        raw = linear_projection(per_sub[s.code], ahead)
        projections[s.code] = min(max(raw, Fraction(0)), Fraction(s.denominator))
    labels = [m.strftime("%Y-%m") for m in months]
    projected: list[float | None] = [None] * len(labels)
    if end_date is not None and 0 < ahead <= TREND_MONTHS:
        counted_total = sum(s.denominator for s in subs)
        projected[-1] = total[-1]
        cursor = months[-1]
        for step in range(1, ahead + 1):
            cursor = month_end(cursor) + dt.timedelta(days=1)
            labels.append(cursor.strftime("%Y-%m"))
            value = min(max(linear_projection(total, step), Fraction(0)), Fraction(counted_total))
            projected.append(round(float(value), 1))
    needed = sum(s.at_or_above + s.shortfall for s in subs)
    chart = {
        "labels": labels,
        "actual": total + [None] * (len(labels) - len(total)),
        "projected": projected,
        "needed": [needed] * len(labels),
    }
    return chart, projections
