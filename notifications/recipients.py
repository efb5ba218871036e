"""Who an event concerns, by the accounts' own bindings (accounts.policy's roles and reach):
the users of an enterprise, of a provider, a city's officials or assessors, a district's
officials. Services describe the audience; `user_ids` reads it in one query, active accounts only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from accounts.models import Role, User


@dataclass(frozen=True)
class Audience:
    enterprise_ids: tuple[int, ...] = ()
    provider_ids: tuple[int, ...] = ()
    official_city_ids: tuple[int, ...] = ()  # city officials of these cities
    assessor_city_ids: tuple[int, ...] = ()  # assessors of these cities
    district_ids: tuple[int, ...] = ()  # district officials of these districts
    district_city_ids: tuple[int, ...] = ()  # every district official of these cities
    users: tuple[int, ...] = field(default=())  # named accounts (a job's requester)

    def __or__(self, other: Audience) -> Audience:
        return Audience(
            *(tuple(getattr(self, f)) + tuple(getattr(other, f)) for f in self.__dataclass_fields__)
        )

    def q(self) -> Q:
        q = Q(pk__in=[])
        if self.enterprise_ids:
            q |= Q(role=Role.ENTERPRISE, enterprise_id__in=self.enterprise_ids)
        if self.provider_ids:
            q |= Q(role=Role.PROVIDER, provider_id__in=self.provider_ids)
        if self.official_city_ids:
            q |= Q(role=Role.CITY_OFFICIAL, city_id__in=self.official_city_ids)
        if self.assessor_city_ids:
            q |= Q(role=Role.ASSESSOR, city_id__in=self.assessor_city_ids)
        if self.district_ids:
            q |= Q(role=Role.DISTRICT_OFFICIAL, district_id__in=self.district_ids)
        if self.district_city_ids:
            q |= Q(role=Role.DISTRICT_OFFICIAL, city_id__in=self.district_city_ids)
        if self.users:
            q |= Q(pk__in=self.users)
        return q


def of(
    *,
    enterprise: int | None = None,
    provider: int | None = None,
    city_officials: int | None = None,
    assessors: int | None = None,
    district: int | None = None,
    district_officials_of_city: int | None = None,
    user: int | None = None,
) -> Audience:
    """An audience from single ids (None: not included)."""

    def one(value: int | None) -> tuple[int, ...]:
        return () if value is None else (value,)

    return Audience(
        enterprise_ids=one(enterprise),
        provider_ids=one(provider),
        official_city_ids=one(city_officials),
        assessor_city_ids=one(assessors),
        district_ids=one(district),
        district_city_ids=one(district_officials_of_city),
        users=one(user),
    )


def user_ids(audience: Audience | Iterable[int]) -> list[int]:
    """The active accounts of an audience (or of a list of user ids), sorted."""
    q = audience.q() if isinstance(audience, Audience) else Q(pk__in=list(audience))
    return sorted(User.objects.filter(q, is_active=True).values_list("pk", flat=True))
