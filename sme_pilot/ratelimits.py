"""Per-user limits on expensive requests, counted from the rows the user created.

A report render or an import creates a job row; counting a user's rows of the last hour is exact
across web processes, needs no Redis, and holds for every door (page, API, a second tab). The
caller locks the user's row first (`one_at_a_time`), so two concurrent requests by one user each
see the other's committed row instead of both slipping under the limit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django.db import models
from django.utils import timezone

from sme_pilot.errors import TooFrequent

__all__ = ["WINDOW", "TooFrequent", "one_at_a_time", "wait"]

WINDOW: Final = dt.timedelta(hours=1)


def wait(
    created: models.QuerySet[Any], *, limit: int, now: dt.datetime | None = None
) -> dt.timedelta | None:
    """How long until one more row fits under `limit` per WINDOW; None if it fits now.

    `created` is the user's rows (with a `created_at`); a limit of 0 refuses everything.
    """
    limit = max(0, int(limit))
    now = now or timezone.now()
    recent = list(
        created.filter(created_at__gt=now - WINDOW)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    if len(recent) < limit:
        return None
    if limit == 0:
        return WINDOW
    # Room for one more once enough of the oldest have left the window.
    return max(recent[len(recent) - limit] + WINDOW - now, dt.timedelta(0))


def one_at_a_time(user_rows: models.QuerySet[Any]) -> None:
    """Lock the user's row until the transaction ends ("no key": rows that merely reference the
    user are not held up). Call inside the transaction that creates the counted row."""
    list(user_rows.select_for_update(no_key=True).values_list("pk", flat=True))
