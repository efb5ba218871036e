"""Money on the ledger page: yuan shown in 万元."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template

from funds import rules

register = template.Library()


@register.filter
def wan(value: Decimal | None) -> str:
    """12345678.90 → "1,234.57" (万元, two decimals); None → "—"."""
    if value is None:
        return "—"
    return f"{(value / rules.WAN).quantize(rules.CENTS, rounding=ROUND_HALF_UP):,}"


@register.filter
def percent(value: Decimal | None) -> str:
    """0.6778 → "67.78%"; None → "—"."""
    if value is None:
        return "—"
    return f"{(value * 100).quantize(rules.CENTS, rounding=ROUND_HALF_UP)}%"
