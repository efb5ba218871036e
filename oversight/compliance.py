"""The "应改尽改" rule (docs/rules.md §1, §3.3) as pure arithmetic: no Django, integers and Decimal.

Counts come in (from SQL aggregation in `oversight.selectors.compliance`); verdicts come out. The
rule's numbers (threshold, minimum level, counted tiers) come from the pilot batch as data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

FOUR_PLACES = Decimal("0.0001")
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Rule:
    threshold: Decimal
    min_level: int
    counted_tiers: frozenset[str]
    count_above_scale: bool = True

    def counts_in_denominator(self, *, above_scale: bool, quality_tier: str) -> bool:
        return (self.count_above_scale and above_scale) or quality_tier in self.counted_tiers


@dataclass(frozen=True)
class SubIndustryCounts:
    code: str
    name: str
    denominator: int
    at_or_above: int


@dataclass(frozen=True)
class SubIndustryResult:
    code: str
    name: str
    denominator: int
    at_or_above: int
    ratio: Decimal | None
    compliant: bool | None
    shortfall: int


@dataclass(frozen=True)
class LittleGiants:
    total: int
    at_or_above: int
    below: tuple[str, ...]

    @property
    def compliant(self) -> bool:
        return not self.below


@dataclass(frozen=True)
class BelowScale:
    assessed: int
    baseline_at_or_above: int | None  # None: not read (views that do not show the uplift)
    current_at_or_above: int

    @property
    def baseline_share(self) -> Decimal | None:
        if self.baseline_at_or_above is None:
            return None
        return share(self.baseline_at_or_above, self.assessed)

    @property
    def current_share(self) -> Decimal | None:
        return share(self.current_at_or_above, self.assessed)

    @property
    def uplift_pp(self) -> Decimal | None:
        """Change of the share at the minimum level or above, in percentage points."""
        if not self.assessed or self.baseline_at_or_above is None:
            return None
        exact = Decimal(self.current_at_or_above - self.baseline_at_or_above) * 100
        return (exact / self.assessed).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CityCompliance:
    city: str
    as_of: dt.date
    rule: Rule
    sub_industries: tuple[SubIndustryResult, ...]
    little_giants: LittleGiants
    below_scale: BelowScale

    @property
    def city_compliant(self) -> bool:
        applicable = [s for s in self.sub_industries if s.compliant is not None]
        return all(s.compliant for s in applicable) and self.little_giants.compliant

    @property
    def applicable_count(self) -> int:
        return sum(1 for s in self.sub_industries if s.compliant is not None)

    @property
    def compliant_count(self) -> int:
        return sum(1 for s in self.sub_industries if s.compliant)


def share(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def _threshold_fraction(threshold: Decimal) -> Fraction:
    return Fraction(threshold)  # exact: 0.90 → 9/10


def is_compliant(at_or_above: int, denominator: int, threshold: Decimal) -> bool | None:
    """`10 × at ≥ 9 × denominator` for 0.90, in integers; None when nothing is counted."""
    if denominator == 0:
        return None
    t = _threshold_fraction(threshold)
    return at_or_above * t.denominator >= t.numerator * denominator


def shortfall(at_or_above: int, denominator: int, threshold: Decimal) -> int:
    """How many more enterprises must reach the level: max(0, ceil(t × den) − at)."""
    t = _threshold_fraction(threshold)
    needed = -((-t.numerator * denominator) // t.denominator)  # integer ceiling
    return max(0, needed - at_or_above)


def evaluate_sub_industry(counts: SubIndustryCounts, rule: Rule) -> SubIndustryResult:
    return SubIndustryResult(
        code=counts.code,
        name=counts.name,
        denominator=counts.denominator,
        at_or_above=counts.at_or_above,
        ratio=share(counts.at_or_above, counts.denominator),
        compliant=is_compliant(counts.at_or_above, counts.denominator, rule.threshold),
        shortfall=shortfall(counts.at_or_above, counts.denominator, rule.threshold),
    )


def evaluate_city(
    *,
    city: str,
    as_of: dt.date,
    rule: Rule,
    sub_industries: Iterable[SubIndustryCounts],
    little_giant_levels: Sequence[tuple[str, int | None]],
    below_scale: BelowScale,
) -> CityCompliance:
    """`little_giant_levels`: (USCC, current level or None when never confirmed) per giant."""
    below = tuple(
        sorted(u for u, level in little_giant_levels if level is None or level < rule.min_level)
    )
    giants = LittleGiants(
        total=len(little_giant_levels),
        at_or_above=len(little_giant_levels) - len(below),
        below=below,
    )
    results = tuple(
        evaluate_sub_industry(c, rule) for c in sorted(sub_industries, key=lambda c: c.code)
    )
    return CityCompliance(city, as_of, rule, results, giants, below_scale)


def _ratio(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.4f}"


def to_json(result: CityCompliance) -> dict[str, Any]:
    """Exactly the §3.3 object."""
    return {
        "city": result.city,
        "as_of": result.as_of.isoformat(),
        "threshold": f"{result.rule.threshold:.2f}",
        "min_level": result.rule.min_level,
        "sub_industries": [
            {
                "code": s.code,
                "name": s.name,
                "denominator": s.denominator,
                "at_or_above": s.at_or_above,
                "ratio": _ratio(s.ratio),
                "compliant": s.compliant,
                "shortfall": s.shortfall,
            }
            for s in result.sub_industries
        ],
        "little_giants": {
            "total": result.little_giants.total,
            "at_or_above": result.little_giants.at_or_above,
            "compliant": result.little_giants.compliant,
            "below": list(result.little_giants.below),
        },
        "below_scale": {
            "assessed": result.below_scale.assessed,
            "baseline_share": _ratio(result.below_scale.baseline_share),
            "current_share": _ratio(result.below_scale.current_share),
            "uplift_pp": None
            if result.below_scale.uplift_pp is None
            else f"{result.below_scale.uplift_pp:.2f}",
        },
        "city_compliant": result.city_compliant,
    }
