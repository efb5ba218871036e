"""Who may see and do what: the one place that maps a role to its scope and its actions.

Selectors filter by `scope_of(user)`; services and views ask the `may_*` / `sees_*` functions;
templates ask the `can` object the context processor puts in every page (`{% if can.see_dashboards
%}`). Nothing else compares role names. A new role means a new row in `SCOPES` and `ABILITIES`
below, its tests in tests/test_policy.py, and its own pages.

Scope is about objects (which cities, enterprises, assessments exist for the user; everything
else is answered 404). Abilities are about actions on what is in scope (403 when a visible object
may not be acted on).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from django.db.models import Q

from .choices import Role

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import User


class Reach(enum.Enum):
    """How far a role sees."""

    NOTHING = "nothing"
    ENTERPRISE = "enterprise"  # its own enterprise
    PROVIDER = "provider"  # its own provider (its projects, once they exist): no registry rows
    DISTRICT = "district"  # the enterprises of one district of its pilot city
    CITY = "city"  # its pilot city
    PROVINCE = "province"  # every pilot city of its province
    NATION = "nation"  # every city


class Ability(enum.StrEnum):
    SEE_DASHBOARDS = "see_dashboards"  # compliance, dashboards, city reports
    SEE_NATION = "see_nation"  # national dashboard, city comparison, national report
    # The city list and comparison over the cities in scope (the nation, or one province)
    COMPARE_CITIES = "compare_cities"
    SEE_OTHERS_DRAFTS = "see_others_drafts"  # another party's unsubmitted self-assessment
    SEE_IMPORT_SUBMITTER = "see_import_submitter"  # who submitted each import job
    IMPORT_REGISTRY = "import_registry"  # cities (the national registry)
    IMPORT_CITY_DATA = "import_city_data"  # sub-industries, enterprises, levels of one's city
    MANAGE_CITY_ACCOUNTS = "manage_city_accounts"  # enterprise and assessor accounts of the city
    EDIT_ENTERPRISE_CITY = "edit_enterprise_city"  # move an enterprise between cities
    EDIT_ENTERPRISE_CLASSIFICATION = "edit_enterprise_classification"
    EDIT_ENTERPRISE_CONTACT = "edit_enterprise_contact"
    SELF_ASSESS = "self_assess"  # fill in and submit the own enterprise's self-assessment
    ASSESS_ONSITE = "assess_onsite"  # on-site assessments of the city's enterprises
    HAS_OWN_ENTERPRISE = "has_own_enterprise"  # 我的企业 pages
    MANAGE_PROVIDER_LIBRARY = "manage_provider_library"  # the city's 服务商库: add, change status
    HAS_OWN_PROVIDER = "has_own_provider"  # 我的服务商: its profile, contacts and products
    KEEP_FUNDS = "keep_funds"  # the city's 资金台账: book, reverse, set the plan
    MARK_SAMPLES = "mark_samples"  # the city's 转型样板: mark and unmark accepted projects


REACH: Final[dict[str, Reach]] = {
    Role.ENTERPRISE: Reach.ENTERPRISE,
    Role.ASSESSOR: Reach.CITY,
    Role.CITY_OFFICIAL: Reach.CITY,
    Role.DISTRICT_OFFICIAL: Reach.DISTRICT,
    Role.PROVIDER: Reach.PROVIDER,
    Role.PROVINCE_OFFICIAL: Reach.PROVINCE,
    Role.MINISTRY: Reach.NATION,
    Role.ADMIN: Reach.NATION,
}

A = Ability
ABILITIES: Final[dict[str, frozenset[Ability]]] = {
    Role.ENTERPRISE: frozenset({A.SELF_ASSESS, A.EDIT_ENTERPRISE_CONTACT, A.HAS_OWN_ENTERPRISE}),
    Role.ASSESSOR: frozenset({A.ASSESS_ONSITE}),
    Role.CITY_OFFICIAL: frozenset(
        {
            A.SEE_DASHBOARDS,
            A.IMPORT_CITY_DATA,
            A.MANAGE_CITY_ACCOUNTS,
            A.EDIT_ENTERPRISE_CONTACT,
            A.EDIT_ENTERPRISE_CLASSIFICATION,
            A.MANAGE_PROVIDER_LIBRARY,
            A.KEEP_FUNDS,
            A.MARK_SAMPLES,
        }
    ),
    # Read-only over the district's enterprises and their assessments (its dashboard comes later).
    Role.DISTRICT_OFFICIAL: frozenset(),
    # Nothing of the registry: its own profile (contacts) and products (我的服务商).
    Role.PROVIDER: frozenset({A.HAS_OWN_PROVIDER}),
    # Like ministry staff within the province: dashboards, rosters and reports of its cities.
    Role.PROVINCE_OFFICIAL: frozenset({A.SEE_DASHBOARDS, A.COMPARE_CITIES}),
    Role.MINISTRY: frozenset({A.SEE_DASHBOARDS, A.SEE_NATION, A.COMPARE_CITIES}),
    Role.ADMIN: frozenset(
        {
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
        }
    ),
}


def role_of(user: object) -> str | None:
    """The role that scopes what `user` sees (None: anonymous or inactive; superusers: admin)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    return getattr(user, "role", None)


@dataclass(frozen=True)
class Scope:
    """What exists for a user: every city, one province's cities (`province_id`), one city
    (`city_id`), one district of a city (`city_id`, `district_id`), one enterprise
    (`enterprise_id`; its city is the enterprise's), one provider (`provider_id`: no registry
    rows), or nothing."""

    reach: Reach
    city_id: int | None = None
    enterprise_id: int | None = None
    district_id: int | None = None
    province_id: int | None = None
    provider_id: int | None = None

    @property
    def is_nation(self) -> bool:
        return self.reach is Reach.NATION


NOTHING: Final = Scope(Reach.NOTHING)


def scope_of(user: object) -> Scope:
    role = role_of(user)
    reach = REACH.get(role or "", Reach.NOTHING)
    if reach is Reach.NATION:
        return Scope(Reach.NATION)
    if reach is Reach.CITY:
        city_id = getattr(user, "city_id", None)
        return Scope(Reach.CITY, city_id=city_id) if city_id is not None else NOTHING
    if reach is Reach.ENTERPRISE:
        enterprise_id = getattr(user, "enterprise_id", None)
        return Scope(Reach.ENTERPRISE, enterprise_id=enterprise_id) if enterprise_id else NOTHING
    if reach is Reach.DISTRICT:
        city_id = getattr(user, "city_id", None)
        district_id = getattr(user, "district_id", None)
        if city_id is None or district_id is None:
            return NOTHING
        return Scope(Reach.DISTRICT, city_id=city_id, district_id=district_id)
    if reach is Reach.PROVINCE:
        province_id = getattr(user, "province_id", None)
        return Scope(Reach.PROVINCE, province_id=province_id) if province_id else NOTHING
    if reach is Reach.PROVIDER:
        provider_id = getattr(user, "provider_id", None)
        return Scope(Reach.PROVIDER, provider_id=provider_id) if provider_id else NOTHING
    return NOTHING


def has(user: object, ability: Ability) -> bool:
    role = role_of(user)
    return role is not None and ability in ABILITIES.get(role, frozenset())


# --- questions the code asks -----------------------------------------------------------------


def sees_everything(user: object) -> bool:
    """Ministry (read-only) and administrators see every city."""
    return has(user, Ability.SEE_NATION)


def compares_cities(user: object) -> bool:
    """The city list and the city comparison (全国看板) over the cities in scope: ministry and
    administrators (every city), province officials (their province's)."""
    return has(user, Ability.COMPARE_CITIES)


def sees_city_overview(user: object) -> bool:
    """A pilot city's overview page (whole-city figures): everyone whose scope is whole cities.
    A district official sees only the district's enterprises, never the city's totals."""
    return scope_of(user).reach in (Reach.CITY, Reach.PROVINCE, Reach.NATION)


def sees_registry(user: object) -> bool:
    """Any registry row at all (enterprises, assessments, reports): not a provider (its
    projects come later), not an anonymous or inactive user."""
    return scope_of(user).reach not in (Reach.NOTHING, Reach.PROVIDER)


def sees_dashboards(user: object) -> bool:
    """Compliance and dashboards: city officials (their city), ministry and admins (all)."""
    return has(user, Ability.SEE_DASHBOARDS)


def sees_others_drafts(user: object) -> bool:
    return has(user, Ability.SEE_OTHERS_DRAFTS)


def report_kinds(user: object) -> tuple[str, ...]:
    """The kinds of report (reports.ReportKind values) `user` may request: the national report
    (ministry, admins), the reports of the cities in scope (dashboard roles), and the report of
    any assessment in scope (every role that sees assessments)."""
    kinds: list[str] = []
    if has(user, Ability.SEE_NATION):
        kinds.append("national")
    if has(user, Ability.SEE_DASHBOARDS):
        kinds.append("city")
    if sees_registry(user):
        kinds.append("assessment")
    return tuple(kinds)


def is_own_enterprise(user: object, enterprise_id: int | None) -> bool:
    """The user is the enterprise's own account (and may act as the enterprise)."""
    return has(user, Ability.SELF_ASSESS) and getattr(user, "enterprise_id", None) == enterprise_id


def own_provider_id(user: object) -> int | None:
    """The provider whose own pages (我的服务商: contacts, products) `user` works on, or None."""
    if not has(user, Ability.HAS_OWN_PROVIDER):
        return None
    scope = scope_of(user)
    return scope.provider_id if scope.reach is Reach.PROVIDER else None


def is_city_assessor(user: object, city_id: int | None) -> bool:
    """The user assesses on site in this city."""
    return has(user, Ability.ASSESS_ONSITE) and getattr(user, "city_id", None) == city_id


def import_kinds(
    user: User | None, all_kinds: tuple[str, ...], city_kinds: tuple[str, ...]
) -> tuple[str, ...]:
    """The import kinds `user` may submit; None (the management command) may import every kind."""
    if user is None or has(user, Ability.IMPORT_REGISTRY):
        return all_kinds
    return city_kinds if may_import(user) else ()


def may_import(user: object) -> bool:
    """Any import at all: the registry (administrators) or one's own city's data (officials)."""
    return has(user, Ability.IMPORT_REGISTRY) or (
        has(user, Ability.IMPORT_CITY_DATA) and scope_of(user).reach is Reach.CITY
    )


# The roles whose accounts a city official opens and manages.
PROVISIONED_BY_CITY: Final = (
    Role.ENTERPRISE,
    Role.ASSESSOR,
    Role.DISTRICT_OFFICIAL,
    Role.PROVIDER,
)


def managed_city_id(user: object) -> int | None:
    """The city whose accounts `user` manages (a city official's), or None."""
    if not has(user, Ability.MANAGE_CITY_ACCOUNTS):
        return None
    scope = scope_of(user)
    return scope.city_id if scope.reach is Reach.CITY else None


def funds_city_id(user: object) -> int | None:
    """The city whose funds ledger `user` keeps (a city official's own city), or None: everyone
    else who sees the ledger (province, ministry, administrators) reads it only."""
    if not has(user, Ability.KEEP_FUNDS):
        return None
    scope = scope_of(user)
    return scope.city_id if scope.reach is Reach.CITY else None


def manages_city_accounts(user: object) -> bool:
    return managed_city_id(user) is not None


def accounts_of_city(city_id: int) -> Q:
    """The accounts of PROVISIONED_BY_CITY roles that belong to the city (a filter on User).

    An enterprise account belongs to its enterprise's city, an assessor's or a district
    official's to its city. A provider account belongs to its provider, which may serve several
    cities: each city manages the provider accounts its own officials opened."""
    q = Q(pk__in=[])
    for role in PROVISIONED_BY_CITY:
        reach = REACH[role]
        if reach is Reach.ENTERPRISE:
            q |= Q(role=role, enterprise__city_id=city_id)
        elif reach is Reach.PROVIDER:
            q |= Q(role=role, created_by__city_id=city_id)
        else:
            q |= Q(role=role, city_id=city_id)
    return q


def account_in_city(user: User, city_id: int) -> bool:
    """The same question as `accounts_of_city`, for one account."""
    if user.role not in PROVISIONED_BY_CITY:
        return False
    reach = REACH[user.role]
    if reach is Reach.ENTERPRISE:
        return user.enterprise is not None and user.enterprise.city_id == city_id
    if reach is Reach.PROVIDER:
        return user.created_by is not None and user.created_by.city_id == city_id
    return user.city_id == city_id


def account_binding(role: str) -> str:
    """What an account of `role` opened by a city official is bound to: "enterprise",
    "district" (a district of the official's city), "provider" or "city" (the official's)."""
    return {
        Reach.ENTERPRISE: "enterprise",
        Reach.DISTRICT: "district",
        Reach.PROVIDER: "provider",
    }.get(REACH.get(role, Reach.NOTHING), "city")


def sees_provider_league(user: object) -> bool:
    """The provider evaluation of a city (服务商评价, a city-wide league table): whoever sees the
    dashboards, over the cities in scope (a city official its city, a province official its
    province's, ministry and administrators every city). Not a district official (the figures
    are the whole city's), an assessor, an enterprise or a provider."""
    return sees_dashboards(user) and scope_of(user).reach in (
        Reach.CITY,
        Reach.PROVINCE,
        Reach.NATION,
    )


def manages_provider_library_of(user: object, city_id: int | None) -> bool:
    """Warns, suspends, removes or re-activates providers in this city's library: its own city
    officials only (providers.services checks the same through MANAGE_PROVIDER_LIBRARY)."""
    if not has(user, Ability.MANAGE_PROVIDER_LIBRARY):
        return False
    scope = scope_of(user)
    return scope.reach is Reach.CITY and city_id is not None and scope.city_id == city_id


def marks_samples_of(user: object, city_id: int | None) -> bool:
    """Marks and unmarks this city's 转型样板 (transformation samples): its own city officials
    only (projects.services.samples asks the same)."""
    if not has(user, Ability.MARK_SAMPLES):
        return False
    scope = scope_of(user)
    return scope.reach is Reach.CITY and city_id is not None and scope.city_id == city_id


def sees_samples(user: object) -> bool:
    """The 转型样板 list: city staff over their scope (whoever sees the dashboards, and the
    district official its district's) and enterprises (their own city's samples, to copy).
    Not assessors or providers."""
    return (
        sees_dashboards(user)
        or scope_of(user).reach is Reach.DISTRICT
        or has(user, Ability.HAS_OWN_ENTERPRISE)
    )


def sees_sample_codes(user: object) -> bool:
    """Whether the 转型样板 list shows the samples' USCCs: as `sees_enterprise_codes`, and never
    to an enterprise (the samples are other enterprises: by name only)."""
    return sees_enterprise_codes(user) and scope_of(user).reach is not Reach.ENTERPRISE


# --- templates -------------------------------------------------------------------------------


def sees_project_list(user: object) -> bool:
    """The project list and its export: whoever sees the dashboards, and the district official
    (its district's projects) and the provider (the projects it diagnoses or serves)."""
    return sees_dashboards(user) or scope_of(user).reach in (Reach.DISTRICT, Reach.PROVIDER)


def works_a_queue(user: object) -> bool:
    """Opens on the pipeline's 待办 (work queues): the roles that move projects themselves."""
    return role_of(user) in (
        Role.ENTERPRISE,
        Role.CITY_OFFICIAL,
        Role.DISTRICT_OFFICIAL,
        Role.PROVIDER,
    )


def sees_enterprise_codes(user: object) -> bool:
    """Whether the user may see an enterprise's registry facts beyond its name and contacts
    (its USCC, its roster page): everyone who sees the enterprise except a provider's staff,
    who see the enterprises they serve by name and contact only (domain §4.1)."""
    return scope_of(user).reach is not Reach.PROVIDER


class Can:
    """`{{ can.see_dashboards }}` and friends: what the signed-in user's pages may offer."""

    def __init__(self, user: object) -> None:
        self._user = user

    def __getattr__(self, name: str) -> bool:
        try:
            ability = Ability(name)
        except ValueError:
            raise AttributeError(name) from None
        return has(self._user, ability)

    @property
    def see_enterprise_codes(self) -> bool:
        return sees_enterprise_codes(self._user)

    @property
    def see_project_list(self) -> bool:
        return sees_project_list(self._user)

    @property
    def see_samples(self) -> bool:
        return sees_samples(self._user)

    @property
    def see_provider_league(self) -> bool:
        return sees_provider_league(self._user)

    @property
    def city_scoped(self) -> bool:
        """Works within one pilot city (官员, 评定员): the city's pages are the user's home."""
        return scope_of(self._user).reach is Reach.CITY

    @property
    def see_reports(self) -> bool:
        """我的报告: any kind of report to request."""
        return bool(report_kinds(self._user))

    @property
    def district_scoped(self) -> bool:
        """Works within one district of a city (区县管理员): the district's enterprise list."""
        return scope_of(self._user).reach is Reach.DISTRICT

    @property
    def see_city_dashboard(self) -> bool:
        """A dashboard of the user's own city (not the national one)."""
        return self.city_scoped and has(self._user, Ability.SEE_DASHBOARDS)

    @property
    def manage_city_accounts(self) -> bool:
        return manages_city_accounts(self._user)

    @property
    def import_data(self) -> bool:
        return may_import(self._user)


def can(request: HttpRequest) -> dict[str, Can]:
    """Context processor: `can` in every template."""
    return {"can": Can(getattr(request, "user", None))}
