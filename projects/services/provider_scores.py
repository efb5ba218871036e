"""Saving provider evaluations (domain §4.5): `manage.py provider_scores --save`.

Each saved `ProviderEvaluation` is a snapshot: the numbers as computed under one scoring
version, which is then in use and never edited (a new policy is a new version). The scoring row
is locked while the snapshots are written, so an edit of it cannot slip in between the check
that it is unused and the first evaluation that uses it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accounts.models import User
from cities.models import PilotCity

from ..models import ProviderEvaluation, ProviderScoring
from ..selectors.provider_scores import ProviderRow, provider_evaluations


def evaluations_save(
    *,
    city: PilotCity,
    as_of: dt.date,
    scoring: ProviderScoring,
    actor: User | None = None,
) -> list[ProviderRow]:
    """Store the evaluation of every provider of `city`'s library as of `as_of`; returns the
    rows stored (the caller prints exactly what was saved)."""
    with transaction.atomic():
        scoring = ProviderScoring.objects.select_for_update().get(pk=scoring.pk)
        rows = provider_evaluations(city=city, as_of=as_of, scoring=scoring)
        ProviderEvaluation.objects.bulk_create(
            ProviderEvaluation(
                city=city,
                provider=row.entry.provider,
                as_of=as_of,
                scoring=scoring,
                status=row.entry.status,
                projects=row.evaluation.projects,
                accepted=row.evaluation.accepted,
                failed=row.evaluation.failed,
                acceptance_rate=row.evaluation.acceptance_rate,
                mean_uplift=row.evaluation.mean_uplift,
                mean_satisfaction=row.evaluation.mean_satisfaction,
                on_time_rate=row.evaluation.on_time_rate,
                score=row.evaluation.score,
                stars=row.evaluation.stars,
                created_by=actor,
            )
            for row in rows
        )
    return rows
