"""A city's roster filtered by the "应改尽改" rule and by current level (docs/rules.md §1).

The registry lists enterprises; whether one counts towards the rule and where its confirmed level
stands against its batch's line is oversight's question, so these filters live here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from cities import selectors as registry
from cities.models import EnterpriseQuerySet, PilotCity

from .compliance import counted_q, rule_for


@dataclass(frozen=True)
class RosterFilters(registry.RosterFilters):
    counted: str = ""  # "1": only enterprises in the "应改尽改" denominator (the batch's rule)
    level: str = ""  # "at_or_above" | "below": current confirmed level vs the batch's min_level


def roster_for_city(*, user: object, city: PilotCity, filters: RosterFilters) -> EnterpriseQuerySet:
    """The registry's roster of a city, narrowed by the batch's rule and by current level."""
    qs = registry.roster_for_city(user=user, city=city, filters=filters)
    if filters.counted == "1":
        qs = qs.filter(counted_q(rule_for(city.batch)))
    if filters.level in ("at_or_above", "below"):
        # Today's level: the enterprise row keeps it (docs/rules.md "Kept current level").
        if filters.level == "at_or_above":
            qs = qs.filter(kept_level__gte=city.batch.min_level)
        else:  # never confirmed counts as below (docs/rules.md §1)
            qs = qs.filter(Q(kept_level__lt=city.batch.min_level) | Q(kept_level__isnull=True))
    return qs
