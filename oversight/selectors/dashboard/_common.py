"""Helpers shared by the city and national dashboard reads."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from cities.models import QualityTier
from oversight import compliance

TWO_PLACES = Decimal("0.01")


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _enterprises(label: str) -> str:
    return label if label.endswith("企业") else f"{label}企业"


def counted_description(rule: compliance.Rule) -> str:
    """Who the rule's denominator counts, in words, from the batch's data: "规上工业中小企业和
    省级专精特新企业、国家级专精特新小巨人企业" (tiers by their Chinese labels, in tier order)."""
    tiers = "、".join(
        _enterprises(str(t.label)) for t in QualityTier if t.value in rule.counted_tiers
    )
    if rule.count_above_scale and tiers:
        return f"规上工业中小企业和{tiers}"
    if rule.count_above_scale:
        return "规上工业中小企业"
    return tiers or "（本批次未设置计入分母的企业）"


def whole_enterprises(value: Fraction | Decimal) -> int:
    """A forecast in whole enterprises, rounded half up (12.6 → 13, 12.5 → 13)."""
    ratio = Fraction(value)
    exact = Decimal(ratio.numerator) / Decimal(ratio.denominator)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
