"""accounts.policy: every role's scope and abilities, the template `can`, and that nothing else
compares role names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts import policy
from accounts.models import Role
from accounts.policy import Ability as A
from accounts.policy import Reach

ROOT = Path(__file__).resolve().parent.parent

# The whole table, written out: a change of policy is a change of this test.
EXPECTED = {
    Role.ENTERPRISE: {A.SELF_ASSESS, A.EDIT_ENTERPRISE_CONTACT, A.HAS_OWN_ENTERPRISE},
    Role.ASSESSOR: {A.ASSESS_ONSITE},
    Role.CITY_OFFICIAL: {
        A.SEE_DASHBOARDS,
        A.IMPORT_CITY_DATA,
        A.MANAGE_CITY_ACCOUNTS,
        A.EDIT_ENTERPRISE_CONTACT,
        A.EDIT_ENTERPRISE_CLASSIFICATION,
        A.MANAGE_PROVIDER_LIBRARY,
        A.KEEP_FUNDS,
        A.MARK_SAMPLES,
    },
    Role.DISTRICT_OFFICIAL: set(),
    Role.PROVIDER: {A.HAS_OWN_PROVIDER},
    Role.PROVINCE_OFFICIAL: {A.SEE_DASHBOARDS, A.COMPARE_CITIES},
    Role.MINISTRY: {A.SEE_DASHBOARDS, A.SEE_NATION, A.COMPARE_CITIES},
    Role.ADMIN: {
        A.SEE_DASHBOARDS,
        A.SEE_NATION,
        A.COMPARE_CITIES,
        A.SEE_OTHERS_DRAFTS,
        A.SEE_IMPORT_SUBMITTER,
        A.IMPORT_REGISTRY,
        A.IMPORT_CITY_DATA,
        A.EDIT_ENTERPRISE_CITY,
        A.EDIT_ENTERPRISE_CONTACT,
        A.EDIT_ENTERPRISE_CLASSIFICATION,
    },
}

PERSONAS = {
    "enterprise_user": Role.ENTERPRISE,
    "assessor": Role.ASSESSOR,
    "city_official": Role.CITY_OFFICIAL,
    "district_official": Role.DISTRICT_OFFICIAL,
    "provider_user": Role.PROVIDER,
    "province_official": Role.PROVINCE_OFFICIAL,
    "ministry_user": Role.MINISTRY,
    "admin_user_": Role.ADMIN,
}


def test_every_role_has_a_reach_and_abilities_and_a_line_here():
    assert set(policy.REACH) == set(Role.values) == set(policy.ABILITIES) == set(EXPECTED)
    assert {role: set(abilities) for role, abilities in policy.ABILITIES.items()} == EXPECTED


@pytest.mark.django_db
@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_each_persona_has_exactly_its_roles_abilities(request, persona):
    user = request.getfixturevalue(persona)
    assert {a for a in A if policy.has(user, a)} == EXPECTED[PERSONAS[persona]]


@pytest.mark.django_db
def test_scopes(enterprise_user, assessor, city_official, ministry_user, admin_user_, city):
    assert policy.scope_of(enterprise_user) == policy.Scope(
        Reach.ENTERPRISE, enterprise_id=enterprise_user.enterprise_id
    )
    assert policy.scope_of(assessor) == policy.Scope(Reach.CITY, city_id=city.pk)
    assert policy.scope_of(city_official) == policy.Scope(Reach.CITY, city_id=city.pk)
    assert policy.scope_of(ministry_user) == policy.Scope(Reach.NATION)
    assert policy.scope_of(admin_user_) == policy.Scope(Reach.NATION)
    assert policy.scope_of(AnonymousUser()) == policy.NOTHING


@pytest.mark.django_db
def test_scopes_of_the_district_provider_and_province_roles(
    district_official, provider_user, province_official, city, district, provider
):
    assert policy.scope_of(district_official) == policy.Scope(
        Reach.DISTRICT, city_id=city.pk, district_id=district.pk
    )
    assert policy.scope_of(provider_user) == policy.Scope(Reach.PROVIDER, provider_id=provider.pk)
    assert policy.scope_of(province_official) == policy.Scope(
        Reach.PROVINCE, province_id=city.province_id
    )
    # What the pages ask about them.
    assert not policy.sees_city_overview(district_official)
    assert policy.sees_city_overview(province_official)
    assert policy.compares_cities(province_official) and not policy.sees_everything(
        province_official
    )
    assert not policy.sees_registry(provider_user) and policy.report_kinds(provider_user) == ()
    assert policy.report_kinds(district_official) == ("assessment",)
    assert policy.report_kinds(province_official) == ("city", "assessment")


@pytest.mark.django_db
def test_inactive_accounts_and_superusers(city_official, django_user_model):
    city_official.is_active = False
    assert policy.scope_of(city_official) == policy.NOTHING
    assert not any(policy.has(city_official, a) for a in A)
    root = django_user_model.objects.create_superuser("root", password="x-Long-enough-1")
    assert policy.role_of(root) == Role.ADMIN
    assert policy.has(root, A.IMPORT_REGISTRY)


@pytest.mark.django_db
def test_the_template_can(client, city_official, enterprise_user):
    client.force_login(city_official)
    page = client.get("/").wsgi_request
    can = policy.can(page)["can"]
    assert can.see_dashboards and can.see_city_dashboard and can.manage_city_accounts
    assert can.import_data and can.city_scoped
    assert not can.see_nation and not can.has_own_enterprise
    with pytest.raises(AttributeError):
        _ = can.no_such_ability


# --- nothing else compares role names ----------------------------------------------------------

PYTHON_ROLE_CHECK = re.compile(
    r"\.role\s*(==|!=|\bin\b(?!\s+policy\.)|\bnot in\b)|(==|!=)\s*Role\.|Role\.[A-Z_]+\s*(==|!=)"
    r"|\bin\s*\(\s*Role\.|is_superuser\s+or\b"
)
# (`user.is_staff` is Django's own gate to the admin site, not a role.)
TEMPLATE_ROLE_CHECK = re.compile(r"user\.role\b|user\.is_superuser")
# Files that may: the policy itself, the model (its constraint lists the roles it binds), and
# demo data (it creates one account per role).
ALLOWED = {"accounts/policy.py", "accounts/models.py", "demo/services.py"}


def _sources(suffix: str):
    for app in (
        "accounts",
        "cities",
        "assessments",
        "oversight",
        "reports",
        "demo",
        "sme_pilot",
        "templates",
    ):
        for path in sorted((ROOT / app).rglob(f"*{suffix}")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in relative and relative not in ALLOWED:
                yield relative, path.read_text(encoding="utf-8")


def test_no_role_comparison_outside_the_policy():
    found = [
        f"{name}:{number}: {line.strip()}"
        for suffix, pattern in ((".py", PYTHON_ROLE_CHECK), (".html", TEMPLATE_ROLE_CHECK))
        for name, text in _sources(suffix)
        for number, line in enumerate(text.splitlines(), start=1)
        if pattern.search(line)
    ]
    assert found == []


def test_the_guard_recognises_a_role_comparison():
    assert PYTHON_ROLE_CHECK.search("if user.role == Role.ASSESSOR:")
    assert PYTHON_ROLE_CHECK.search("if role in (Role.MINISTRY, Role.ADMIN):")
    assert PYTHON_ROLE_CHECK.search("return actor.is_superuser or actor.role == 'admin'")
    assert TEMPLATE_ROLE_CHECK.search("{% if user.role == 'enterprise' %}")
    assert not PYTHON_ROLE_CHECK.search("if policy.has(user, Ability.SEE_NATION):")
    assert not PYTHON_ROLE_CHECK.search("if filters.role in policy.PROVISIONED_BY_CITY:")


@pytest.mark.django_db
def test_report_kinds_per_role(enterprise_user, assessor, city_official, ministry_user):
    assert policy.report_kinds(enterprise_user) == ("assessment",)
    assert policy.report_kinds(assessor) == ("assessment",)
    assert policy.report_kinds(city_official) == ("city", "assessment")
    assert policy.report_kinds(ministry_user) == ("national", "city", "assessment")
    assert policy.report_kinds(AnonymousUser()) == ()


@pytest.mark.django_db
def test_the_samples_questions(
    enterprise_user,
    assessor,
    city_official,
    other_city_official,
    district_official,
    provider_user,
    province_official,
    ministry_user,
    admin_user_,
    city,
):
    """转型样板 (issue 15): marked by the city's own officials; listed to city staff and
    enterprises; shown with USCCs to staff only."""
    assert policy.marks_samples_of(city_official, city.pk)
    others = (other_city_official, enterprise_user, assessor, district_official, provider_user)
    for user in (*others, province_official, ministry_user, admin_user_):
        assert not policy.marks_samples_of(user, city.pk), user.username
    assert not policy.marks_samples_of(city_official, None)
    readers = (enterprise_user, city_official, district_official, province_official)
    for user in (*readers, ministry_user, admin_user_):
        assert policy.sees_samples(user), user.username
    assert not policy.sees_samples(assessor) and not policy.sees_samples(provider_user)
    assert not policy.sees_samples(AnonymousUser())
    assert not policy.sees_sample_codes(enterprise_user)
    assert policy.sees_sample_codes(city_official) and policy.sees_sample_codes(ministry_user)
    assert not policy.sees_sample_codes(provider_user)
