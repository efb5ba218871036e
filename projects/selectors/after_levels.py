"""The after-level of an accepted project (domain §4.3): the level of the enterprise's latest
confirmed on-site `post` assessment dated from the project's completion to its acceptance.

Read in bulk for an import (`after_levels` of thousands of enterprises in one query) and for one
project on its 一企一档 page; `after_level` picks the level from what was read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from assessments.models import Assessment, Method, Purpose, State
from cities.imports.plans import fetch_by

AfterLevels = dict[int, list[dict[str, Any]]]


def after_levels(enterprise_ids: Iterable[int]) -> AfterLevels:
    """Each enterprise's confirmed on-site post assessments (§4.3), latest first: `id`,
    `enterprise_id`, `assessed_on`, `confirmed_at`, `level`. Enterprises without one are absent."""
    found: AfterLevels = {}
    rows = fetch_by(
        Assessment.objects.filter(
            state=State.CONFIRMED, method=Method.ONSITE, purpose=Purpose.POST
        ),
        "enterprise_id",
        enterprise_ids,
        ["id", "enterprise_id", "assessed_on", "confirmed_at", "level"],
    )
    for row in rows:
        found.setdefault(row["enterprise_id"], []).append(row)
    for assessments in found.values():
        # The order of assessments.selectors.LATEST_FIRST (no confirmation time = earliest).
        assessments.sort(
            key=lambda a: (
                a["assessed_on"],
                a["confirmed_at"] is not None,
                a["confirmed_at"] or dt.datetime.min.replace(tzinfo=dt.UTC),
                a["id"],
            ),
            reverse=True,
        )
    return found


def after_level(
    assessments: list[dict[str, Any]], completed_on: dt.date, accepted_on: dt.date
) -> int | None:
    """The level of the latest of `assessments` (one enterprise's, from `after_levels`) dated
    from `completed_on` to `accepted_on` inclusive; None if none is."""
    for a in assessments:
        if completed_on <= a["assessed_on"] <= accepted_on:
            return int(a["level"])
    return None
