"""Reads of the registry. Every query that serves a user starts from a `*_visible_to` selector.

Objects outside a user's scope are simply absent from these querysets, so a detail lookup inside
them answers 404, never a 403 that would confirm the object exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, ForeignKey, Q, QuerySet

from accounts.policy import Reach, scope_of
from sme_pilot.errors import NotFound

from ..models import (
    CityTarget,
    District,
    Enterprise,
    EnterpriseQuerySet,
    PilotCity,
    PilotCityQuerySet,
    SubIndustry,
)


def city_list_visible_to(*, user: object) -> PilotCityQuerySet:
    qs = PilotCity.objects.select_related("province", "batch")
    scope = scope_of(user)
    if scope.is_nation:
        return qs
    if scope.reach in (Reach.CITY, Reach.DISTRICT):
        # A district official's city exists for them (its roster lists their district only).
        assert scope.city_id is not None
        return qs.filter(pk=scope.city_id)
    if scope.reach is Reach.PROVINCE:
        assert scope.province_id is not None
        return qs.filter(province_id=scope.province_id)
    return qs.none()


def city_get_visible(*, user: object, code: str) -> PilotCity:
    try:
        return city_list_visible_to(user=user).get(code=code)
    except PilotCity.DoesNotExist:
        raise NotFound("没有找到该试点城市") from None


def enterprise_list_visible_to(*, user: object) -> EnterpriseQuerySet:
    qs = Enterprise.objects.select_related("city", "sub_industry", "district")
    scope = scope_of(user)
    if scope.is_nation:
        return qs
    if scope.reach is Reach.CITY:
        return qs.filter(city_id=scope.city_id)
    if scope.reach is Reach.DISTRICT:
        assert scope.district_id is not None
        return qs.filter(city_id=scope.city_id, district_id=scope.district_id)
    if scope.reach is Reach.PROVINCE:
        assert scope.province_id is not None
        return qs.filter(city__province_id=scope.province_id)
    if scope.reach is Reach.ENTERPRISE:
        assert scope.enterprise_id is not None
        return qs.filter(pk=scope.enterprise_id)
    return qs.none()


def enterprise_get_visible(*, user: object, uscc: str) -> Enterprise:
    try:
        return enterprise_list_visible_to(user=user).get(uscc=uscc.strip().upper())
    except Enterprise.DoesNotExist:
        raise NotFound("没有找到该企业") from None


def city_list_with_counts(*, user: object) -> PilotCityQuerySet:
    """The ministry's city table: batch, region and enterprise counts by scope and tier."""
    return (
        city_list_visible_to(user=user)
        .annotate(
            enterprise_count=Count("enterprises"),
            above_scale_count=Count("enterprises", filter=Q(enterprises__above_scale=True)),
            srdi_count=Count(
                "enterprises",
                filter=Q(enterprises__quality_tier__in=["provincial_srdi", "little_giant"]),
            ),
            little_giant_count=Count(
                "enterprises", filter=Q(enterprises__quality_tier="little_giant")
            ),
        )
        .order_by("batch__year", "code")
    )


@dataclass(frozen=True)
class RosterFilters:
    """The registry's filters of a city's roster (oversight adds the rule's and the level's)."""

    sub_industry: str = ""
    district: str = ""  # a district's code
    scope: str = ""  # "above" | "below" | ""
    tier: str = ""
    size: str = ""
    q: str = ""


def roster_for_city(*, user: object, city: PilotCity, filters: RosterFilters) -> EnterpriseQuerySet:
    """A city's enterprises for a roster page, filtered; the city must come from a scoped lookup."""
    qs = enterprise_list_visible_to(user=user).filter(city=city)
    if filters.sub_industry:
        qs = qs.filter(sub_industry__code=filters.sub_industry)
    if filters.district:
        qs = qs.filter(district__code=filters.district)
    if filters.scope == "above":
        qs = qs.filter(above_scale=True)
    elif filters.scope == "below":
        qs = qs.filter(above_scale=False)
    if filters.tier:
        qs = qs.filter(quality_tier=filters.tier)
    if filters.size:
        qs = qs.filter(size_class=filters.size)
    return qs.search(filters.q).order_by("sub_industry__code", "name", "id")


def district_list_visible_to(*, user: object, city: PilotCity) -> QuerySet[District]:
    """The districts of a city (from a scoped lookup) the user may filter by: every one, or a
    district official's own."""
    qs = city.districts.order_by("code")
    scope = scope_of(user)
    if scope.reach is Reach.DISTRICT:
        assert scope.district_id is not None
        return qs.filter(pk=scope.district_id)
    return qs


def sub_industry_summary(*, city: PilotCity) -> QuerySet[SubIndustry]:
    return city.sub_industries.annotate(
        enterprise_count=Count("enterprises"),
        above_scale_count=Count("enterprises", filter=Q(enterprises__above_scale=True)),
    ).order_by("code")


def target_list_for_city(*, city: PilotCity) -> QuerySet[CityTarget]:
    return city.targets.select_related("sub_industry").order_by("due_date", "metric")


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    when: dt.datetime
    who: str
    action: str
    reason: str
    changes: list[FieldChange]


_HISTORY_ACTIONS = {"+": "创建", "~": "修改", "-": "删除"}


def enterprise_history(*, enterprise: Enterprise, limit: int = 50) -> list[HistoryEntry]:
    """Who changed what and when, newest first, from the audit trail (two queries, and one per
    kind of reference changed: a city, sub-industry or district reads as its name)."""
    records = list(
        enterprise.history.select_related("history_user", "sub_industry", "city").order_by(  # type: ignore[attr-defined]
            "-history_date", "-history_id"
        )[: limit + 1]
    )
    pending: list[tuple[dt.datetime, str, str, str, list[tuple[str, object, object]]]] = []
    for record, previous in zip(records, [*records[1:], None], strict=True):
        if len(pending) == limit:
            break
        changes: list[tuple[str, object, object]] = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous, excluded_fields=["updated_at", "created_at"])
            changes = [(c.field, c.old, c.new) for c in delta.changes]
        user = record.history_user
        pending.append(
            (
                record.history_date,
                (user.display_name or user.username) if user else "系统",
                _HISTORY_ACTIONS.get(record.history_type, record.history_type),
                record.history_change_reason or "",
                changes,
            )
        )
    names = _reference_names(change for *_, changes in pending for change in changes)
    return [
        HistoryEntry(
            when=when,
            who=who,
            action=action,
            reason=reason,
            changes=[
                FieldChange(
                    Enterprise.field_label(field),
                    _shown(names.get((field, old), old)),
                    _shown(names.get((field, new), new)),
                )
                for field, old, new in changes
            ],
        )
        for when, who, action, reason, changes in pending
    ]


def _reference_names(
    changes: Iterable[tuple[str, object, object]],
) -> dict[tuple[str, object], str]:
    """(field, id) -> the referenced row's name, for the foreign keys among `changes`."""
    ids: dict[str, set[object]] = {}
    for field, old, new in changes:
        if isinstance(Enterprise._meta.get_field(field), ForeignKey):
            ids.setdefault(field, set()).update(v for v in (old, new) if v is not None)
    names: dict[tuple[str, object], str] = {}
    for field, pks in ids.items():
        model = Enterprise._meta.get_field(field).related_model
        assert model is not None and not isinstance(model, str)
        for obj in model._default_manager.filter(pk__in=pks):
            names[(field, obj.pk)] = str(obj)
    return names


def _shown(value: object) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
