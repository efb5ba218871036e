"""The denominator enterprises closest to the rule's level ("closest to the line")."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, Subquery, TextField
from django.db.models.functions import JSONObject

from assessments import indicators, scoring
from assessments.models import Assessment, IndicatorRevision, State
from assessments.selectors import with_current_level
from cities.models import Enterprise, PilotCity
from oversight import compliance
from oversight.selectors.compliance import counted_q

CLOSEST_KEPT = 200  # ranked enterprises kept for "closest to the line" (20 per page)


@dataclass(frozen=True)
class Distance:
    """How far one enterprise is from the rule's level, from its latest scored assessment."""

    level: int | None  # the level of the assessment used (None: never assessed)
    method: str  # "self", "onsite" or "" (never assessed)
    assessed_on: dt.date | None
    points_short: Decimal | None
    scenes_short: int | None
    constraint_scenes_short: int | None
    fewest_changes: int | None

    @property
    def rank(self) -> tuple[int, int, Decimal, int]:
        if self.fewest_changes is not None:
            return (0, self.fewest_changes, self.points_short or Decimal(0), 0)
        if self.level is not None:  # only a level (an imported one): higher levels first
            return (1, 0, Decimal(0), -self.level)
        return (2, 0, Decimal(0), 0)


def distance_to_level(
    result: scoring.Result, indicator: scoring.Indicator, target: int
) -> tuple[Decimal, int, int, int]:
    """(points short, scenes short, constraint scenes short, fewest changes) to reach `target`.

    Like `NextLevel`, but for any level: an enterprise at level 0 is measured against the level 2
    gate directly, not against level 1.
    """
    if result.level >= target:
        return Decimal(0), 0, 0, 0
    gate = next(g for g in indicator.gates if g.level == target)
    points_short = max(Decimal(0), gate.min_score - result.total)
    scenes_short = max(0, gate.min_scenes - result.scenes_at_or_above.get(target, 0))
    constraint_short = max(
        0, gate.min_constraint_scenes - result.constraint_scenes_at_or_above.get(target, 0)
    )
    changes = 0
    if points_short:
        headrooms = sorted(
            (
                q.max_points - result.question_points.get(q.code, Decimal(0))
                for q in indicator.questions
            ),
            reverse=True,
        )
        gained = Decimal(0)
        for headroom in headrooms:
            gained += headroom
            changes += 1
            if gained >= points_short:
                break
    return (
        points_short,
        scenes_short,
        constraint_short,
        changes + max(scenes_short, constraint_short),
    )


def _distance_from_json(
    result: Mapping[str, Any], target: int
) -> tuple[Decimal, int, int, int] | None:
    """From a stored §3.1 result when the answers cannot be re-scored: exact only when its next
    level is the target (or it is already there)."""
    level = result.get("level")
    if isinstance(level, int) and level >= target:
        return Decimal(0), 0, 0, 0
    nxt = result.get("next_level")
    if not isinstance(nxt, Mapping) or nxt.get("level") != target:
        return None
    return (
        Decimal(str(nxt["points_short"])),
        int(nxt["scenes_short"]),
        int(nxt["constraint_scenes_short"]),
        int(nxt["fewest_changes"]),
    )


@dataclass(frozen=True)
class ClosestRow:
    uscc: str
    name: str
    sub_industry: str
    current_level: int | None
    distance: Distance


def _closest(
    city: PilotCity, as_of: dt.date, rule: compliance.Rule
) -> tuple[list[ClosestRow], int]:
    """Denominator enterprises below the rule's level, nearest first.

    One query for the enterprises with their latest scored assessment's id, level, method, date
    and revision (from `assess_scored_latest_idx`, without the table); the answers (to re-score)
    and stored results are read, in a second query, only for the assessments that have a revision
    or whose enterprise has a scored assessment with a stored result; the indicator revisions in
    a third. The others can only be ranked by their level, as before."""
    scored = Assessment.objects.filter(
        enterprise=OuterRef("pk"),
        state__in=[State.SUBMITTED, State.CONFIRMED],
        level__isnull=False,
        assessed_on__lte=as_of,
    )
    # The latest scored assessment's columns in one lookup per enterprise (an object, not one
    # correlated subquery per column).
    latest = scored.order_by("-assessed_on", "-id").values(
        found=JSONObject(
            id="id", level="level", method="method", on="assessed_on", revision="revision_id"
        )
    )
    below: Any = (
        with_current_level(
            Enterprise.objects.filter(city=city).filter(counted_q(rule)), as_of=as_of
        )
        .filter(Q(current_level__lt=rule.min_level) | Q(current_level__isnull=True))
        .annotate(
            # As text, decoded below: a JSONField's converter costs more than the decoding.
            latest=Subquery(latest[:1], output_field=TextField()),
            with_result=Exists(scored.filter(result__isnull=False)),
        )
        .values_list("uscc", "name", "sub_industry__name", "current_level", "latest", "with_result")
        .order_by()
    )
    below = [(*row[:4], None if row[4] is None else json.loads(row[4]), row[5]) for row in below]
    to_read = [
        latest["id"]
        for *_, latest, with_result in below
        if latest is not None and (latest["revision"] is not None or with_result)
    ]
    stored = {
        a["id"]: a
        for a in Assessment.objects.filter(pk__in=to_read).values(
            "id", "answers", "scenes", "data", "result"
        )
    }
    revisions = {
        r.pk: r for r in IndicatorRevision.objects.filter(pk__in=_revisions(below, stored))
    }
    rows: list[ClosestRow] = []
    for uscc, name, sub_industry, current_level, latest_found, _ in below:
        a: dict[str, Any] | None = None
        if latest_found is not None:
            a = {
                "method": latest_found["method"],
                "level": latest_found["level"],
                "assessed_on": dt.date.fromisoformat(latest_found["on"]),
                "revision_id": latest_found["revision"],
                **stored.get(latest_found["id"], {"answers": None, "result": None}),
            }
        rows.append(
            ClosestRow(
                uscc=uscc,
                name=name,
                sub_industry=sub_industry,
                current_level=current_level,
                distance=_distance_of(a, revisions, rule.min_level),
            )
        )
    rows.sort(key=lambda r: (r.distance.rank, r.name, r.uscc))
    return rows[:CLOSEST_KEPT], len(rows)


def _revisions(below: list[Any], stored: Mapping[int, Any]) -> set[int]:
    """The revisions of the latest assessments whose answers were read (to re-score)."""
    return {
        latest["revision"]
        for *_, latest, _ in below
        if latest is not None and latest["id"] in stored and latest["revision"] is not None
    }


def _distance_of(
    a: Mapping[str, Any] | None, revisions: Mapping[int, IndicatorRevision], target: int
) -> Distance:
    if a is None:
        return Distance(None, "", None, None, None, None, None)
    found: tuple[Decimal, int, int, int] | None = None
    revision = revisions.get(a["revision_id"]) if a["revision_id"] else None
    if revision is not None and a["answers"]:
        indicator = indicators.indicator_for(revision)
        try:
            result = scoring.score(a["answers"], a["scenes"], a["data"], indicator)
        except ValueError:
            result = None
        if result is not None and any(g.level == target for g in indicator.gates):
            found = distance_to_level(result, indicator, target)
    if found is None and isinstance(a["result"], Mapping):
        found = _distance_from_json(a["result"], target)
    if found is None:
        return Distance(a["level"], a["method"], a["assessed_on"], None, None, None, None)
    return Distance(a["level"], a["method"], a["assessed_on"], *found)
