"""Reads of the provider library, every one scoped through `accounts.policy.scope_of`.

City officials and assessors see their city's library, ministry staff and administrators every
city's; an enterprise sees only the active providers of its own city (the directory it chooses
from); anyone else sees nothing. Out of scope is answered like absent (NotFound).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from accounts import policy
from assessments import indicators
from cities.models import Enterprise, PilotCity
from sme_pilot.errors import NotFound

from .choices import LibraryStatus, ProviderCategory
from .models import LibraryEntry, LibraryStatusChange, Product, Provider

SCENE_VERSION = "2024"  # the indicator edition whose operations scenes products name


def library_visible_to(*, user: object, city: PilotCity | None = None) -> QuerySet[LibraryEntry]:
    """The library entries `user` may see, optionally of one city."""
    scope = policy.scope_of(user)
    entries = LibraryEntry.objects.select_related("provider", "city")
    if scope.reach is policy.Reach.NATION:
        pass
    elif scope.reach is policy.Reach.PROVINCE:
        entries = entries.filter(city__province_id=scope.province_id or 0)
    elif scope.reach in (policy.Reach.CITY, policy.Reach.DISTRICT):
        # A district official reads the city's library (their enterprises choose from it).
        entries = entries.filter(city_id=scope.city_id)
    elif scope.reach is policy.Reach.PROVIDER:
        # A provider's own entries, in every city whose library it is in.
        entries = entries.filter(provider__pk=scope.provider_id or 0)
    elif scope.reach is policy.Reach.ENTERPRISE:
        city_ids = Enterprise.objects.filter(pk=scope.enterprise_id or 0).values("city_id")
        entries = entries.filter(city_id__in=city_ids, status=LibraryStatus.ACTIVE)
    else:
        return entries.none()
    if city is not None:
        entries = entries.filter(city=city)
    return entries


def active_providers(city: PilotCity | int) -> QuerySet[Provider]:
    """The providers an enterprise of `city` may select: those active in the city's library."""
    city_id = city.pk if isinstance(city, PilotCity) else city
    return Provider.objects.filter(
        entries__city_id=city_id, entries__status=LibraryStatus.ACTIVE
    ).order_by("uscc")


@dataclass(frozen=True)
class LibraryFilters:
    status: str = ""
    category: str = ""
    q: str = ""
    city: str = ""  # a city code (users who see several cities)

    def cleaned(self) -> LibraryFilters:
        """Unknown choices are ignored (a stale link shows everything, not an error)."""
        return LibraryFilters(
            status=self.status if self.status in LibraryStatus.values else "",
            category=self.category if self.category in ProviderCategory.values else "",
            q=self.q.strip()[:100],
            city=self.city.strip()[:20],
        )


def filter_library(entries: QuerySet[LibraryEntry], f: LibraryFilters) -> QuerySet[LibraryEntry]:
    f = f.cleaned()
    if f.status:
        entries = entries.filter(status=f.status)
    if f.category:
        entries = entries.filter(provider__category=f.category)
    if f.city:
        entries = entries.filter(city__code=f.city)
    if f.q:
        entries = entries.filter(Q(provider__name__icontains=f.q) | Q(provider__uscc=f.q.upper()))
    return entries


def with_products(entries: QuerySet[LibraryEntry]) -> QuerySet[LibraryEntry]:
    return entries.prefetch_related(
        Prefetch("provider__products", queryset=Product.objects.order_by("name", "id"))
    )


def entry_get_visible(*, user: object, pk: int) -> LibraryEntry:
    entry = with_products(library_visible_to(user=user)).filter(pk=pk).first()
    if entry is None:
        raise NotFound("没有找到该服务商")
    return entry


def status_history(entry: LibraryEntry) -> QuerySet[LibraryStatusChange]:
    return entry.changes.select_related("changed_by").order_by("-changed_at", "-id")


def scene_names() -> dict[str, str]:
    """The operations scenes of the 2024 indicator, code → name, in code order."""
    revision = indicators.current_revision(SCENE_VERSION)
    if revision is None:
        return {}
    indicator = indicators.indicator_for(revision)
    return {s.code: s.name for s in sorted(indicator.scenes, key=lambda s: s.code)}


# --- the provider's own pages (我的服务商) ---------------------------------------------------


def own_provider(*, user: object) -> Provider:
    """The provider `user` is the account of; anyone else: NotFound."""
    provider_id = policy.own_provider_id(user)
    provider = None if provider_id is None else Provider.objects.filter(pk=provider_id).first()
    if provider is None:
        raise NotFound("没有找到该服务商")
    return provider


def own_entries(provider: Provider) -> QuerySet[LibraryEntry]:
    """The provider's library entries, every status, each with its latest change's reason (the
    provider must see why it was warned, suspended or removed)."""
    latest = LibraryStatusChange.objects.filter(entry=OuterRef("pk")).order_by("-changed_at", "-id")
    return (
        LibraryEntry.objects.filter(provider=provider)
        .select_related("city")
        .annotate(
            latest_reason=Subquery(latest.values("reason")[:1]),
            latest_changed_at=Subquery(latest.values("changed_at")[:1]),
        )
        .order_by("city__code")
    )


OWN_CHANGES_SHOWN = 50


def own_status_changes(provider: Provider) -> list[LibraryStatusChange]:
    """The provider's latest status changes in every city, newest first, each with its reason
    (warned, suspended, removed or re-activated, and why); at most OWN_CHANGES_SHOWN."""
    return list(
        LibraryStatusChange.objects.filter(entry__provider=provider)
        .select_related("entry__city")
        .order_by("-changed_at", "-id")[:OWN_CHANGES_SHOWN]
    )


def own_products(provider: Provider) -> QuerySet[Product]:
    return Product.objects.filter(provider=provider).order_by("name", "id")


def own_product(*, user: object, pk: int) -> Product:
    """One of the user's own provider's products; another provider's, or none: NotFound."""
    provider_id = policy.own_provider_id(user)
    product = (
        None
        if provider_id is None
        else Product.objects.select_related("provider")
        .filter(pk=pk, provider_id=provider_id)
        .first()
    )
    if product is None:
        raise NotFound("没有找到该产品")
    return product
