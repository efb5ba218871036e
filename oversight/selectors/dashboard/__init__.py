"""Reads for the city and national dashboards (the "应改尽改" rule, docs/rules.md §1, §3.3).

Compliance itself comes from `oversight.selectors.compliance` (so the dashboard shows exactly what
`manage.py compliance` prints); this package adds what a person needs around it: targets, the
monthly trend and its projection, level distributions, and the enterprises closest to the line.
Every read is a constant number of queries whatever the number of enterprises or cities.

`city` builds one city's dashboard from `trend` (the monthly line and its projection) and
`closest` (the enterprises closest to the line); `national` builds the ministry's table;
`funnel` adds the project funnel (§4.6) to both, `funds` the funds (§4.4).
"""

from .city import city_dashboard_cached, traffic_light
from .funds import CityFunds, FundsShares, city_funds_section, city_funds_section_cached
from .funnel import (
    TOTAL_STAGES,
    CityFunnel,
    city_project_funnel,
    city_project_funnel_cached,
    funnel_totals,
)
from .national import SORT_COLUMNS, NationalRow, national_dashboard, rows_digest, sort_rows
from .trend import linear_projection

__all__ = [
    "SORT_COLUMNS",
    "TOTAL_STAGES",
    "CityFunds",
    "CityFunnel",
    "FundsShares",
    "NationalRow",
    "city_dashboard_cached",
    "city_funds_section",
    "city_funds_section_cached",
    "city_project_funnel",
    "city_project_funnel_cached",
    "funnel_totals",
    "linear_projection",
    "national_dashboard",
    "rows_digest",
    "sort_rows",
    "traffic_light",
]
