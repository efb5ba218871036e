"""`{% project_list_url … %}`: the project list filtered to exactly the projects behind a number
(the dashboards' funnel links)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.urls import reverse

from projects.selectors.projects import NO_DISTRICT, ProjectFilters

register = template.Library()


@register.simple_tag
def project_list_url(
    *,
    city: int | None = None,
    district: int | str | None = None,
    sub_industry: int | None = None,
    reached: str = "",
    outcome: str = "",
    overdue: str = "",
    as_of: dt.date | None = None,
) -> str:
    """/projects/?… with these filters (`district` an id, or "none" for no district)."""
    filters = ProjectFilters(
        city=city,
        district=district if isinstance(district, int) else None,
        without_district=district == NO_DISTRICT,
        sub_industry=sub_industry,
        reached=reached,
        outcome=outcome,
        overdue=overdue,
        as_of=as_of,
    )
    return f"{reverse('projects:project_list')}?{filters.urlencode()}"


@register.filter
def stars(count: object) -> str:
    """★★★★☆ 4 星 for 4 of 5 stars; 暂不评级 when the provider is not rated."""
    if not isinstance(count, int) or not 1 <= count <= 5:
        return "暂不评级"
    return f"{'★' * count}{'☆' * (5 - count)} {count} 星"
