"""The "应改尽改" arithmetic (docs/rules.md §1): pure, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oversight import compliance

RULE = compliance.Rule(
    threshold=Decimal("0.90"),
    min_level=2,
    counted_tiers=frozenset({"provincial_srdi", "little_giant"}),
)


@pytest.mark.parametrize(
    ("at", "den", "compliant", "shortfall", "ratio"),
    [
        (9, 10, True, 0, "0.9000"),
        (8, 9, False, 1, "0.8889"),  # 88.9 %
        (18, 20, True, 0, "0.9000"),
        (17, 20, False, 1, "0.8500"),
        (0, 0, None, 0, None),  # not applicable
        (37, 40, True, 0, "0.9250"),
        (0, 1, False, 1, "0.0000"),
        (1, 1, True, 0, "1.0000"),
        (0, 11, False, 10, "0.0000"),  # ceil(9.9) = 10
        (9, 11, False, 1, "0.8182"),
        (10, 11, True, 0, "0.9091"),
    ],
)
def test_sub_industry_verdicts(at, den, compliant, shortfall, ratio):
    result = compliance.evaluate_sub_industry(
        compliance.SubIndustryCounts("FOOD", "特色食品", den, at), RULE
    )
    assert result.compliant is compliant
    assert result.shortfall == shortfall
    assert (None if result.ratio is None else f"{result.ratio:.4f}") == ratio


def test_threshold_comes_from_the_rule():
    strict = compliance.Rule(Decimal("0.95"), 2, frozenset())
    result = compliance.evaluate_sub_industry(
        compliance.SubIndustryCounts("A", "甲", 20, 18), strict
    )
    assert (result.compliant, result.shortfall) == (False, 1)
    assert compliance.is_compliant(18, 20, Decimal("0.95")) is False
    assert compliance.is_compliant(19, 20, Decimal("0.95")) is True
    assert compliance.shortfall(18, 20, Decimal("0.95")) == 1


@given(den=st.integers(0, 5000), at=st.integers(0, 5000))
def test_integer_rule_matches_exact_fractions(den, at):
    at = min(at, den)
    compliant = compliance.is_compliant(at, den, Decimal("0.90"))
    if den == 0:
        assert compliant is None
        return
    assert compliant == (10 * at >= 9 * den)
    short = compliance.shortfall(at, den, Decimal("0.90"))
    assert compliance.is_compliant(at + short, den, Decimal("0.90"))
    if short:
        assert not compliance.is_compliant(at + short - 1, den, Decimal("0.90"))


NO_BELOW_SCALE = compliance.BelowScale(0, 0, 0)


def _city(subs, giants, below=NO_BELOW_SCALE):
    return compliance.evaluate_city(
        city="HHHT",
        as_of=dt.date(2026, 11, 21),
        rule=RULE,
        sub_industries=subs,
        little_giant_levels=giants,
        below_scale=below,
    )


def test_city_compliant_needs_every_applicable_sub_industry_and_every_little_giant():
    ok = compliance.SubIndustryCounts("A", "甲", 10, 9)
    empty = compliance.SubIndustryCounts("B", "乙", 0, 0)
    bad = compliance.SubIndustryCounts("C", "丙", 9, 8)
    assert _city([ok, empty], [("9144030071526726XG", 2)]).city_compliant is True
    assert _city([ok, empty, bad], []).city_compliant is False
    assert _city([ok], [("9144030071526726XG", 1)]).city_compliant is False


def test_a_never_assessed_little_giant_is_below():
    result = _city([], [("91350100M000100Y43", None), ("9144030071526726XG", 3)])
    assert result.little_giants.below == ("91350100M000100Y43",)
    assert (result.little_giants.total, result.little_giants.at_or_above) == (2, 1)
    assert result.little_giants.compliant is False


def test_no_little_giants_is_compliant():
    assert _city([], []).little_giants.compliant is True


def test_below_scale_uplift_in_percentage_points():
    below = compliance.BelowScale(assessed=25, baseline_at_or_above=5, current_at_or_above=11)
    assert below.baseline_share == Decimal("0.2000")
    assert below.current_share == Decimal("0.4400")
    assert below.uplift_pp == Decimal("24.00")
    none = compliance.BelowScale(0, 0, 0)
    assert (none.baseline_share, none.current_share, none.uplift_pp) == (None, None, None)


def test_json_matches_the_exchange_format():
    result = _city(
        [
            compliance.SubIndustryCounts("TEXT", "纺织服装", 0, 0),
            compliance.SubIndustryCounts("FOOD", "特色食品", 40, 37),
        ],
        [("9144030071526726XG", 1), ("91350100M000100Y43", 2), ("91440300000000005X", None)],
        compliance.BelowScale(25, 5, 11),
    )
    assert compliance.to_json(result) == {
        "city": "HHHT",
        "as_of": "2026-11-21",
        "threshold": "0.90",
        "min_level": 2,
        "sub_industries": [
            {"code": "FOOD", "name": "特色食品", "denominator": 40, "at_or_above": 37,
             "ratio": "0.9250", "compliant": True, "shortfall": 0},
            {"code": "TEXT", "name": "纺织服装", "denominator": 0, "at_or_above": 0,
             "ratio": None, "compliant": None, "shortfall": 0},
        ],
        "little_giants": {"total": 3, "at_or_above": 1, "compliant": False,
                          "below": ["91440300000000005X", "9144030071526726XG"]},
        "below_scale": {"assessed": 25, "baseline_share": "0.2000", "current_share": "0.4400",
                        "uplift_pp": "24.00"},
        "city_compliant": False,
    }  # fmt: skip
