"""factory_boy factories for the registry. USCCs are generated valid (check character computed)."""

from __future__ import annotations

import factory

from accounts.models import Role, User
from cities import uscc
from cities.models import District, Enterprise, PilotBatch, PilotCity, Province, SubIndustry


def make_uscc(n: int) -> str:
    """A valid, deterministic USCC for sequence number n."""
    return uscc.synthetic(n)


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PilotCity
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"试点市{n}")
    province = factory.LazyFunction(lambda: Province.objects.get(short_name="广东"))
    batch = factory.LazyFunction(lambda: PilotBatch.objects.get(year=2024))
    city_type = "prefecture"
    plan_approved_on = factory.Faker("date_between", start_date="-1y", end_date="today")


class SubIndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubIndustry

    city = factory.SubFactory(CityFactory)
    code = factory.Sequence(lambda n: f"IND{n:03d}")
    name = factory.Sequence(lambda n: f"细分行业{n}")


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    city = factory.SubFactory(CityFactory)
    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"区县{n}")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    uscc = factory.Sequence(make_uscc)
    name = factory.Sequence(lambda n: f"测试制造有限公司{n}")
    sub_industry = factory.SubFactory(SubIndustryFactory)
    city = factory.SelfAttribute("sub_industry.city")
    district = None
    above_scale = True
    quality_tier = "none"
    size_class = "small"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.MINISTRY
    password = factory.PostGenerationMethodCall("set_password", "Sme-pilot-2026!")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):  # type: ignore[no-untyped-def]
        if create:
            instance.save()
