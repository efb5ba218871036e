"""The monthly trend of enterprises at the rule's level, and its projection to the pilot's end."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from assessments.selectors import counting_assessments
from cities.models import Enterprise, PilotCity, add_months
from oversight import compliance
from oversight.selectors.compliance import counted_q

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


def _level_history(
    city: PilotCity, as_of: dt.date, rule: compliance.Rule
) -> tuple[dict[int, str], dict[int, list[tuple[dt.date, int]]]]:
    """Denominator enterprises (id → sub-industry code) and their confirmed levels in order."""
    counted = counted_q(rule)
    members = dict(
        Enterprise.objects.filter(city=city).filter(counted).values_list("id", "sub_industry__code")
    )
    rows = (
        counting_assessments(as_of=as_of)
        .filter(enterprise__city=city)
        .filter(counted_q(rule, "enterprise__"))
        .values_list("enterprise_id", "assessed_on", "confirmed_at", "id", "level")
    )
    # Same order as `assessments.selectors.EARLIEST_FIRST`: a missing confirmed_at is earliest.
    ordered = sorted(
        rows,
        key=lambda r: (
            r[1],
            r[2] is not None,
            r[2] or dt.datetime.min.replace(tzinfo=dt.UTC),
            r[3],
        ),
    )
    history: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for enterprise_id, day, _, _, level in ordered:
        if level is not None:  # confirmed assessments always carry a level (a constraint)
            history[enterprise_id].append((day, level))
    return members, history


def _trend(
    city: PilotCity,
    as_of: dt.date,
    rule: compliance.Rule,
    subs: Sequence[compliance.SubIndustryResult],
    end_date: dt.date | None,
) -> tuple[dict[str, Any], dict[str, Fraction | None]]:
    members, history = _level_history(city, as_of, rule)
    first_day = min((h[0][0] for h in history.values() if h), default=as_of)
    if city.plan_approved_on is not None:
        first_day = min(first_day, city.plan_approved_on)
    start = dt.date(first_day.year, first_day.month, 1)
    if months_between(start, as_of) >= TREND_MONTHS:
        start = add_months(dt.date(as_of.year, as_of.month, 1), 1 - TREND_MONTHS)
    months: list[dt.date] = []
    cursor = start
    while cursor <= as_of:
        months.append(cursor)
        cursor = month_end(cursor) + dt.timedelta(days=1)
    ends = [min(month_end(m), as_of) for m in months]
    per_sub: dict[str, list[int]] = {s.code: [0] * len(ends) for s in subs}
    for enterprise_id, code in members.items():
        levels = history.get(enterprise_id, [])
        i = 0
        level: int | None = None
        for k, end in enumerate(ends):
            while i < len(levels) and levels[i][0] <= end:
                level = levels[i][1]
                i += 1
            if level is not None and level >= rule.min_level and code in per_sub:
                per_sub[code][k] += 1
    total = [sum(v[k] for v in per_sub.values()) for k in range(len(ends))]
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
