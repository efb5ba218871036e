"""Cities' subsidy policies, for whoever sees the city's dashboards (officials of the city,
ministry, administrators)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts import policy
from cities.models import PilotCity
from cities.selectors import city_get_visible
from sme_pilot.errors import NotFound

from ..models import SubsidyRule


def subsidy_rules_visible_to(*, user: object) -> QuerySet[SubsidyRule]:
    """Every rule of the cities `user` sees the dashboards of, by city and start date."""
    qs = SubsidyRule.objects.select_related("city", "created_by").order_by("city", "valid_from")
    if not policy.sees_dashboards(user):
        return qs.none()
    scope = policy.scope_of(user)
    if scope.is_nation:
        return qs
    if scope.city_id is None:
        return qs.none()
    return qs.filter(city_id=scope.city_id)


def policy_city_get_visible(*, user: object, code: str) -> PilotCity:
    """The city whose policy page `user` may open; out of scope is 404."""
    if not policy.sees_dashboards(user):
        raise NotFound("没有找到该试点城市")
    return city_get_visible(user=user, code=code)
