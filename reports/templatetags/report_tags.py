"""How the PDF reports print numbers: ratios as percentages, counts as whole numbers with their
unit ("70 家"). The snapshot keeps the exact values; only the printed text is shaped here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import template

from assessments.models import LEVEL_NAMES

register = template.Library()

DASH = "—"


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _trim(number: Decimal) -> str:
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def ratio_percent(value: object) -> str:
    """A ratio (0 … 1, e.g. "0.7143") as the dashboards print it: "71.43%"."""
    number = _decimal(value)
    return DASH if number is None else f"{number * 100:.2f}%"


@register.filter
def threshold_percent(value: object) -> str:
    """A rule's ratio (e.g. "0.70") as a plain percentage: "70%"."""
    number = _decimal(value)
    return DASH if number is None else f"{_trim(number * 100)}%"


@register.filter
def percent(value: object) -> str:
    """A value already in percent (e.g. "71.40"): "71.40%"."""
    number = _decimal(value)
    return DASH if number is None else f"{number:.2f}%"


@register.filter
def with_unit(value: object, unit: str) -> str:
    """A figure with its unit: a count as a whole number and a space ("70 家"), a percentage
    with two decimals and no space ("71.43%")."""
    number = _decimal(value)
    if number is None:
        return DASH
    if unit == "%":
        return f"{number:.2f}%"
    whole = number.to_integral_value()
    shown = f"{whole:f}" if whole == number else _trim(number)
    return f"{shown} {unit}" if unit else shown


@register.filter
def chinese_date(value: object) -> str:
    """An ISO date ("2026-12-04") as a Chinese document dates it: "2026年12月4日"."""
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return DASH
    return f"{day.year}年{day.month}月{day.day}日"


# The city report's pilot-management figures (issue 15): money, levels, stars, means, the
# scorecard's raw values.


@register.filter
def yuan(value: object) -> str:
    """ "90000000.00" as "90,000,000.00" (yuan, two decimals)."""
    number = _decimal(value)
    return DASH if number is None else f"{number:,.2f}"


@register.filter
def level_name(value: object) -> str:
    """A level (0-4) by name ("二级"); none: "未评定"."""
    if value is None or value == "":
        return "未评定"
    try:
        return LEVEL_NAMES.get(int(str(value)), str(value))
    except ValueError:
        return str(value)


@register.filter
def stars(value: object) -> str:
    """A provider's stars ("★4"), or "暂不评级" when not rated."""
    return "暂不评级" if value is None or value == "" else f"★{value}"


@register.filter
def mean(value: object) -> str:
    """A mean as the command prints it ("4.2000") without padding zeros, two decimals at least
    ("4.20", "4.3333"): the same value."""
    number = _decimal(value)
    if number is None:
        return DASH
    whole, _, frac = f"{number:f}".partition(".")
    return f"{whole}.{frac.rstrip('0').ljust(2, '0')}"


@register.filter
def scorecard_raw(value: object, unit: str) -> str:
    """A scorecard indicator's raw value by its unit: a ratio as a percentage ("50.00%"),
    levels ("1.50 级"), a rating ("4.50 分"); missing: "缺失（按 0 分计）"."""
    number = _decimal(value)
    if number is None:
        return "缺失（按 0 分计）"
    if unit == "ratio":
        return f"{number * 100:.2f}%"
    suffix = {"levels": " 级", "rating": " 分"}.get(unit, "")
    return f"{mean(value)}{suffix}"


@register.filter
def get_item(mapping: object, key: str) -> object:
    """`mapping[key]` (a snapshot's dict keyed by data, e.g. funnel stages); "—" if absent."""
    return mapping.get(key, DASH) if isinstance(mapping, dict) else DASH
