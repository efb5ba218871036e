"""factory_boy factories for the provider library."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from providers.models import LibraryEntry, LibraryStatusChange, Product, Provider
from tests.cities.factories import CityFactory


def provider_uscc(n: int) -> str:
    """A valid USCC in a region of its own, so it never equals an enterprise factory's."""
    from cities import uscc

    return uscc.synthetic(n, region_code="110108")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("uscc",)

    uscc = factory.Sequence(provider_uscc)
    name = factory.Sequence(lambda n: f"数字科技服务有限公司{n}")
    category = "integrator"
    contact_name = "李工"
    contact_phone = "13800000000"


class LibraryEntryFactory(factory.django.DjangoModelFactory):
    """An entry with its first status change, as the services write it."""

    class Meta:
        model = LibraryEntry
        skip_postgeneration_save = True

    provider = factory.SubFactory(ProviderFactory)
    city = factory.SubFactory(CityFactory)
    status = "active"
    status_changed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def first_change(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            LibraryStatusChange.objects.create(
                entry=self,
                from_status="",
                to_status=self.status,
                reason="入库",
                changed_at=self.status_changed_at,
            )


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    provider = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"云MES系统{n}")
    scenes = factory.LazyFunction(lambda: ["S05", "S06"])
    price_min = Decimal("30000.00")
    price_max = Decimal("80000.00")
    description = "面向离散制造的轻量化生产管控系统"
