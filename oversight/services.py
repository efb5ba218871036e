"""Writes of the oversight app: saving city scores (`manage.py scorecard --save`).

Each saved `CityScore` is a snapshot: score, rank, band and breakdown as computed under one
scorecard version, which is then in use and never edited (a change is a new version). The
scorecard row is locked while the snapshots are written, so an admin edit cannot slip in between
the computation and the first score that uses it. Scores of one (as-of day, scorecard) are saved
once: saving them again is refused, so a saved ranking is never partly rewritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction

from cities.models import PilotCity
from sme_pilot.errors import DomainError

from .models import CityScore, Scorecard
from .selectors.scorecard import CityScoreRow, city_scorecards


def city_scores_save(
    *, cities: Sequence[PilotCity], as_of: dt.date, scorecard: Scorecard
) -> list[CityScoreRow]:
    """Compute and store the scores of `cities` (those of the scorecard's batch) under
    `scorecard`; returns the rows stored (the caller prints exactly what was saved)."""
    with transaction.atomic():
        scorecard = (
            Scorecard.objects.select_for_update().select_related("batch").get(pk=scorecard.pk)
        )
        if CityScore.objects.filter(as_of=as_of, scorecard=scorecard).exists():
            raise DomainError(
                f"评价日 {as_of.isoformat()} 按评分卡 v{scorecard.version} 的得分已保存，"
                "不能重复保存"
            )
        rows = city_scorecards(cities, as_of, scorecard)
        CityScore.objects.bulk_create(
            CityScore(
                city=row.city,
                as_of=as_of,
                scorecard=scorecard,
                score=row.score,
                rank=row.rank,
                band=row.band,
                breakdown=row.breakdown(),
            )
            for row in rows
        )
    return rows


def saved_scores(*, as_of: dt.date, scorecard: Scorecard) -> list[CityScore]:
    """The scores saved for (`as_of`, `scorecard`), by rank then city code."""
    return list(
        CityScore.objects.filter(as_of=as_of, scorecard=scorecard)
        .select_related("city")
        .order_by("rank", "city__code")
    )
