"""Reads for account management: the accounts a city official may manage, and its roster.

A city official manages the enterprise users of its city's enterprises and its city's assessors,
nothing else; every other account is absent from these querysets (404 on lookup).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts import policy
from accounts.models import User
from sme_pilot.errors import NotFound

from ..models import District, Enterprise, EnterpriseQuerySet


def _managed_city_id(user: object) -> int | None:
    """The city whose accounts `user` manages: only an active city official has one."""
    return policy.managed_city_id(user)


def can_manage_accounts(user: object) -> bool:
    return _managed_city_id(user) is not None


def account_list_manageable_by(*, user: object) -> QuerySet[User]:
    city_id = _managed_city_id(user)
    if city_id is None:
        return User.objects.none()
    return (
        User.objects.filter(policy.accounts_of_city(city_id))
        # Accounts with admin-site access are the administrators' to manage, whatever the role.
        .filter(is_staff=False, is_superuser=False)
        .select_related("enterprise", "district", "provider")
    )


def account_get_manageable(*, user: object, pk: int) -> User:
    try:
        return account_list_manageable_by(user=user).get(pk=pk)
    except User.DoesNotExist:
        raise NotFound("没有找到该账号") from None


@dataclass(frozen=True)
class AccountFilters:
    q: str = ""
    role: str = ""  # "enterprise" | "assessor" | ""
    active: str = ""  # "1" | "0" | ""


def account_list_filtered(*, user: object, filters: AccountFilters) -> QuerySet[User]:
    """The account list page: search by username, name or enterprise; filter role and status."""
    qs = account_list_manageable_by(user=user)
    if filters.role in policy.PROVISIONED_BY_CITY:
        qs = qs.filter(role=filters.role)
    if filters.active == "1":
        qs = qs.filter(is_active=True)
    elif filters.active == "0":
        qs = qs.filter(is_active=False)
    text = filters.q.strip()
    if text:
        qs = qs.filter(
            Q(username__icontains=text)
            | Q(display_name__icontains=text)
            | Q(enterprise__name__icontains=text)
            | Q(enterprise__uscc__icontains=text.upper())
            | Q(district__name__icontains=text)
            | Q(provider__name__icontains=text)
        )
    return qs.order_by("role", "username", "id")


def _roster(user: object) -> EnterpriseQuerySet:
    city_id = _managed_city_id(user)
    if city_id is None:
        return Enterprise.objects.none()
    return Enterprise.objects.filter(city_id=city_id)


def enterprise_get_for_account(*, user: object, uscc: str) -> Enterprise:
    """An enterprise of the official's own roster, by USCC; any other is a 404."""
    try:
        return _roster(user).get(uscc=uscc.strip().upper())
    except Enterprise.DoesNotExist:
        raise NotFound("没有找到该企业") from None


ENTERPRISE_SEARCH_LIMIT = 20


def enterprise_search_for_accounts(
    *, user: object, q: str, limit: int = ENTERPRISE_SEARCH_LIMIT
) -> tuple[Sequence[Mapping[str, object]], bool]:
    """Roster enterprises whose name or USCC contains `q` (at most `limit`, by name), each
    marked when it already has an account; and whether more matched. One query."""
    text = q.strip()
    if not text:
        return [], False
    rows = list(
        _roster(user)
        .filter(Q(name__icontains=text) | Q(uscc__icontains=text.upper()))
        .annotate(has_account=Exists(User.objects.filter(enterprise=OuterRef("pk"))))
        .order_by("name", "uscc")
        .values("uscc", "name", "has_account")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


def enterprise_list_without_account(*, user: object) -> EnterpriseQuerySet:
    """Roster enterprises with no account at all (a deactivated account still counts as one)."""
    return _roster(user).filter(~Exists(User.objects.filter(enterprise=OuterRef("pk"))))


def district_list_for_accounts(*, user: object) -> QuerySet[District]:
    """The districts of the official's city, for a district official's account."""
    city_id = _managed_city_id(user)
    if city_id is None:
        return District.objects.none()
    return District.objects.filter(city_id=city_id).order_by("code")


def district_get_for_account(*, user: object, pk: int) -> District:
    try:
        return district_list_for_accounts(user=user).get(pk=pk)
    except District.DoesNotExist:
        raise NotFound("没有找到该区县") from None


def providers_in_library(city_id: int) -> QuerySet[Any]:
    """The providers in the library of city `city_id` (any status: a warned or suspended provider
    still serves its projects). The model is reached through the User's foreign key, and the
    library through the entries' related name: `providers` sits above `cities` in the layers."""
    provider_model = User._meta.get_field("provider").related_model
    assert provider_model is not None and not isinstance(provider_model, str)
    return provider_model._default_manager.filter(entries__city_id=city_id).distinct()


def provider_choices_for_accounts(*, user: object) -> list[tuple[int, str]]:
    """(id, "name（USCC）") of the providers a city official may open accounts for: those in
    their city's library."""
    city_id = _managed_city_id(user)
    if city_id is None:
        return []
    rows = providers_in_library(city_id).order_by("name", "uscc").values_list("id", "name", "uscc")
    return [(pk, f"{name}（{uscc}）") for pk, name, uscc in rows]
