"""Who sees which library entries (scope per role) and which providers may be selected."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Role
from cities.models import Province
from providers import selectors
from tests.cities.factories import CityFactory, DistrictFactory, UserFactory
from tests.providers.factories import LibraryEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(city, other_city):
    return {
        "active": LibraryEntryFactory(city=city, status="active"),
        "warned": LibraryEntryFactory(city=city, status="warned"),
        "suspended": LibraryEntryFactory(city=city, status="suspended"),
        "other": LibraryEntryFactory(city=other_city, status="active"),
    }


def visible(user, **kwargs):
    return set(selectors.library_visible_to(user=user, **kwargs))


def test_city_staff_see_their_citys_library_in_every_status(entries, city_official, assessor):
    own = {entries["active"], entries["warned"], entries["suspended"]}
    assert visible(city_official) == own
    assert visible(assessor) == own


def test_ministry_and_admin_see_every_city(entries, ministry_user, admin_user_, other_city):
    assert visible(ministry_user) == set(entries.values())
    assert visible(admin_user_) == set(entries.values())
    assert visible(ministry_user, city=other_city) == {entries["other"]}


def test_an_enterprise_sees_only_its_citys_active_providers(
    entries, enterprise_user, other_enterprise_user
):
    assert visible(enterprise_user) == {entries["active"]}
    assert visible(other_enterprise_user) == {entries["other"]}


def test_district_province_and_provider_users(entries, city, other_city):
    district = DistrictFactory(city=city)
    district_official = UserFactory(role=Role.DISTRICT_OFFICIAL, city=city, district=district)
    province_official = UserFactory(role=Role.PROVINCE_OFFICIAL, province=city.province)
    provider_user = UserFactory(role=Role.PROVIDER, provider=entries["warned"].provider)
    own = {entries["active"], entries["warned"], entries["suspended"]}
    assert visible(district_official) == own  # the city's library, read-only
    far = LibraryEntryFactory(city=CityFactory(province=Province.objects.get(short_name="内蒙古")))
    assert other_city.province_id == city.province_id  # both in the factory's 广东
    assert visible(province_official) == own | {entries["other"]}  # not `far`
    assert far not in visible(province_official)
    assert visible(provider_user) == {entries["warned"]}  # its own entries only


def test_anyone_else_sees_nothing(entries):
    assert visible(AnonymousUser()) == set()


def test_only_active_providers_can_be_selected(entries, city, other_city):
    assert list(selectors.active_providers(city)) == [entries["active"].provider]
    assert list(selectors.active_providers(other_city.pk)) == [entries["other"].provider]


def test_filters_by_status_category_and_search(entries, city_official):
    mine = selectors.library_visible_to(user=city_official)
    f = selectors.LibraryFilters
    assert set(selectors.filter_library(mine, f(status="warned"))) == {entries["warned"]}
    assert not selectors.filter_library(mine, f(category="chain_leader")).exists()
    warned = entries["warned"].provider
    by_name = selectors.filter_library(mine, f(q=warned.name))
    assert set(by_name) == {entries["warned"]}
    by_uscc = selectors.filter_library(mine, f(q=warned.uscc.lower()))
    assert set(by_uscc) == {entries["warned"]}
    # An unknown status is ignored rather than matching nothing.
    assert selectors.filter_library(mine, f(status="bogus")).count() == 3
