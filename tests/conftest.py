"""Personas shared by every test module: one fixture per role, and a second city and enterprise."""

from __future__ import annotations

import pytest

from cities.models import Role
from tests.cities.factories import CityFactory, EnterpriseFactory, SubIndustryFactory, UserFactory


@pytest.fixture
def city(db):
    return CityFactory(code="HHHT", name="呼和浩特市")


@pytest.fixture
def other_city(db):
    return CityFactory(code="NB", name="宁波市")


@pytest.fixture
def sub_industry(city):
    return SubIndustryFactory(city=city, code="FOOD", name="特色食品")


@pytest.fixture
def other_sub_industry(other_city):
    return SubIndustryFactory(city=other_city, code="MOLD", name="模具")


@pytest.fixture
def enterprise(sub_industry):
    return EnterpriseFactory(sub_industry=sub_industry)


@pytest.fixture
def other_enterprise(other_sub_industry):
    return EnterpriseFactory(sub_industry=other_sub_industry)


@pytest.fixture
def enterprise_user(enterprise):
    return UserFactory(username="ent", role=Role.ENTERPRISE, enterprise=enterprise)


@pytest.fixture
def other_enterprise_user(other_enterprise):
    return UserFactory(username="ent2", role=Role.ENTERPRISE, enterprise=other_enterprise)


@pytest.fixture
def city_official(city):
    return UserFactory(username="official", role=Role.CITY_OFFICIAL, city=city)


@pytest.fixture
def other_city_official(other_city):
    return UserFactory(username="official2", role=Role.CITY_OFFICIAL, city=other_city)


@pytest.fixture
def assessor(city):
    return UserFactory(username="assessor", role=Role.ASSESSOR, city=city)


@pytest.fixture
def ministry_user(db):
    return UserFactory(username="ministry", role=Role.MINISTRY)


@pytest.fixture
def admin_user_(db):
    return UserFactory(username="admin1", role=Role.ADMIN, is_staff=True, is_superuser=True)
