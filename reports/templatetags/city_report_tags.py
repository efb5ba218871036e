"""How the city report prints its pilot-management figures: money in yuan with thousands
separators, levels by name, provider stars, the scorecard's raw values by their unit. The
snapshot keeps the commands' exact values; only the printed text is shaped here."""

from __future__ import annotations

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
    if value is None or value == "":
        return "暂不评级"
    return f"★{value}"


@register.filter
def mean(value: object) -> str:
    """A mean as the command prints it ("4.2000"), with two decimals at least ("4.20",
    "4.3333"): the same value, without padding zeros."""
    number = _decimal(value)
    if number is None:
        return DASH
    text = f"{number:f}"
    if "." not in text:
        return f"{number:.2f}"
    whole, frac = text.split(".")
    frac = frac.rstrip("0")
    return f"{whole}.{frac.ljust(2, '0')}"


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
