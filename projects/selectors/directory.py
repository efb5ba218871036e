"""The provider directory an enterprise chooses from (服务商目录, issue 14): its city's active
providers with category, products, the scenes they cover, the firms each has served in the city
and its stars of the provider evaluation (§4.5)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from cities.models import PilotCity
from providers.choices import LibraryStatus, ProviderCategory
from providers.models import LibraryEntry, Product

from .. import provider_rules
from .provider_scores import provider_evaluations, scoring_for


@dataclass(frozen=True)
class DirectoryFilters:
    scene: str = ""
    category: str = ""
    q: str = ""

    def cleaned(self, scenes: dict[str, str]) -> DirectoryFilters:
        """Unknown choices are ignored (a stale link shows everything, not an error)."""
        return DirectoryFilters(
            scene=self.scene if self.scene in scenes else "",
            category=self.category if self.category in ProviderCategory.values else "",
            q=self.q.strip()[:100],
        )


def directory_entries(*, city_id: int, filters: DirectoryFilters) -> QuerySet[LibraryEntry]:
    """The city's active library entries matching `filters` (already cleaned), with products,
    ordered by name. A scene filter keeps providers with a product covering that scene; products
    keep their scenes as a JSON list, read here in Python so SQLite and PostgreSQL agree."""
    entries = LibraryEntry.objects.filter(
        city_id=city_id, status=LibraryStatus.ACTIVE
    ).select_related("provider")
    if filters.category:
        entries = entries.filter(provider__category=filters.category)
    if filters.q:
        entries = entries.filter(
            Q(provider__name__icontains=filters.q) | Q(provider__uscc=filters.q.upper())
        )
    if filters.scene:
        covering = {
            provider_id
            for provider_id, scenes in Product.objects.filter(
                provider__entries__in=entries
            ).values_list("provider_id", "scenes")
            if isinstance(scenes, list) and filters.scene in scenes
        }
        entries = entries.filter(provider__pk__in=covering)
    return entries.prefetch_related(
        Prefetch("provider__products", queryset=Product.objects.order_by("name", "id"))
    ).order_by("provider__name", "provider__uscc")


def ratings(*, city: PilotCity, as_of: dt.date) -> dict[int, provider_rules.Evaluation]:
    """Per provider (pk) of the city's library: its evaluation as of `as_of` (§4.5) under the
    version in force, whose `projects` are the firms it served in the city and `stars` its
    stars (None: not rated yet). A constant number of queries (`provider_evaluations`)."""
    rows = provider_evaluations(city=city, as_of=as_of, scoring=scoring_for(as_of))
    return {row.entry.provider.pk: row.evaluation for row in rows}
