"""The performance scorecard arithmetic (issue 15 item 4): pure, no database."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oversight import scorecard_rules as sr

D = Decimal
BANDS = sr.DEFAULT_BANDS
ALL_TERMS = [
    sr.Term("compliance_share", D("0.25")),
    sr.Term("target_attainment", D("0.15")),
    sr.Term("accepted_vs_plan", D("0.15")),
    sr.Term("level_uplift", D("0.15"), cap=D("2")),
    sr.Term("funds_share", D("0.15")),
    sr.Term("provider_satisfaction", D("0.15")),
]


@pytest.mark.parametrize(
    ("key", "raw", "cap", "points"),
    [
        ("compliance_share", D("0.75"), None, 75),
        ("compliance_share", D("1.2"), None, 100),  # capped
        ("compliance_share", D("-0.1"), None, 0),  # floored
        ("accepted_vs_plan", D("1.5"), None, 100),
        ("funds_share", D("0.9375"), None, D("93.75")),  # 75 % of an 80 % minimum
        ("level_uplift", D("1"), D("2"), 50),
        ("level_uplift", D("3"), D("2"), 100),
        ("level_uplift", D("-1"), D("2"), 0),
        ("level_uplift", D("0.5"), None, 50),  # default cap: 1 level
        ("provider_satisfaction", D("5"), None, 100),
        ("provider_satisfaction", D("1"), None, 0),
        ("provider_satisfaction", D("4"), None, 75),
        ("target_attainment", None, None, 0),  # missing counts 0
    ],
)
def test_points(key, raw, cap, points):
    assert sr.points(key, raw, cap) == D(points)


def test_score_breakdown_and_missing():
    raws = {
        "compliance_share": D("0.8"),  # 80 × 0.25 = 20
        "target_attainment": D("0.5"),  # 50 × 0.15 = 7.5
        "accepted_vs_plan": None,  # missing: 0
        "level_uplift": D("1"),  # 50 × 0.15 = 7.5
        "funds_share": D("1"),  # 100 × 0.15 = 15
        # provider_satisfaction absent: missing
    }
    result = sr.evaluate(ALL_TERMS, raws, BANDS)
    assert result.score == D("50.0")
    assert result.band == "不合格"
    by_key = {p.key: p for p in result.parts}
    assert by_key["accepted_vs_plan"].missing
    assert by_key["provider_satisfaction"].missing
    assert by_key["provider_satisfaction"].as_json()["raw"] is None
    assert by_key["compliance_share"].weighted == D("20.00")
    assert by_key["level_uplift"].as_json() == {
        "key": "level_uplift",
        "label": "等级提升",
        "weight": "0.15",
        "raw": "1",
        "missing": False,
        "points": "50.00",
        "weighted": "7.50",
    }


def test_score_rounds_half_up_to_one_decimal():
    # 0.5 × 100 × (1/8 … ) — a total of exactly 12.25 rounds to 12.3 (half up, not to even).
    terms = [sr.Term("compliance_share", D("0.5")), sr.Term("funds_share", D("0.5"))]
    result = sr.evaluate(terms, {"compliance_share": D("0.245"), "funds_share": D("0")}, BANDS)
    assert result.score == D("12.3")
    result = sr.evaluate(terms, {"compliance_share": D("0.2449"), "funds_share": D("0")}, BANDS)
    assert result.score == D("12.2")


@pytest.mark.parametrize(
    ("score", "band"),
    [("100", "优秀"), ("90.0", "优秀"), ("89.9", "良好"), ("80", "良好"), ("60", "合格"),
     ("59.9", "不合格"), ("0", "不合格")],
)  # fmt: skip
def test_bands(score, band):
    assert sr.band_of(D(score), BANDS) == band


def test_competition_ranks_share_and_skip():
    assert sr.competition_ranks([D("90"), D("80"), D("90"), D("70"), D("80")]) == [1, 3, 1, 5, 3]
    assert sr.competition_ranks([]) == []


@pytest.mark.parametrize(
    ("terms", "fragment"),
    [
        ([], "至少需要一个指标"),
        ([sr.Term("compliance_share", D("0.6")), sr.Term("funds_share", D("0.3"))], "之和应为 1"),
        ([sr.Term("gdp_growth", D("1"))], "未知的评价指标“gdp_growth”"),
        (
            [sr.Term("funds_share", D("0.5")), sr.Term("funds_share", D("0.5"))],
            "重复",
        ),
        ([sr.Term("level_uplift", D("1"), cap=D("0"))], "上限应大于 0"),
        ([sr.Term("funds_share", D("1.5")), sr.Term("level_uplift", D("-0.5"))], "0 到 1"),
    ],
)
def test_terms_errors(terms, fragment):
    assert any(fragment in e for e in sr.terms_errors(terms))


def test_valid_terms_have_no_errors():
    assert sr.terms_errors(ALL_TERMS) == []


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ([], "非空列表"),
        ("优秀", "非空列表"),
        ([{"label": "A", "min": "90"}, {"label": "B", "min": "95"}, {"label": "C", "min": "0"}],
         "递减"),
        ([{"label": "A", "min": "90"}], "最后一个等级"),
        ([{"label": "A", "min": "abc"}], "不是数字"),
        ([{"label": "A", "min": "101"}, {"label": "B", "min": "0"}], "0 到 100"),
        ([{"label": "A", "min": "NaN"}], "0 到 100"),
        ([{"label": "", "min": "0"}], "名称"),
        ([{"label": "A", "min": "50"}, {"label": "A", "min": "0"}], "重复"),
        ([{"label": "A", "min": "0", "x": 1}], "label 与 min"),
    ],
)  # fmt: skip
def test_bad_bands(data, fragment):
    with pytest.raises(ValueError, match=fragment):
        sr.bands_from_json(data)


def test_bands_round_trip():
    assert sr.bands_from_json(sr.bands_to_json(BANDS)) == BANDS


# --- properties ------------------------------------------------------------------------------

raw_values = st.one_of(
    st.none(),
    st.decimals(min_value=-2, max_value=7, allow_nan=False, allow_infinity=False, places=4),
)


@st.composite
def weights(draw):
    """Six weights with four decimals summing to exactly 1."""
    n = len(ALL_TERMS)
    cuts = sorted(draw(st.lists(st.integers(0, 10000), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, 10000]
    return [D(b - a) / 10000 for a, b in pairwise(bounds)]


def _terms(ws):
    return [sr.Term(t.key, w, t.cap) for t, w in zip(ALL_TERMS, ws, strict=True)]


@given(ws=weights(), raws=st.lists(raw_values, min_size=6, max_size=6))
def test_score_is_within_0_and_100(ws, raws):
    terms = _terms(ws)
    assert sr.terms_errors(terms) == []
    result = sr.evaluate(terms, {t.key: r for t, r in zip(terms, raws, strict=True)}, BANDS)
    assert D(0) <= result.score <= D(100)
    assert result.band in {b.label for b in BANDS}


@given(
    ws=weights(),
    raws=st.lists(raw_values, min_size=6, max_size=6),
    which=st.integers(0, 5),
    more=st.decimals(min_value=0, max_value=3, allow_nan=False, places=4),
)
def test_score_is_monotone_in_each_indicator(ws, raws, which, more):
    terms = _terms(ws)
    before = {t.key: r for t, r in zip(terms, raws, strict=True)}
    after = dict(before)
    key = terms[which].key
    after[key] = (before[key] if before[key] is not None else D(-2)) + more
    low = sr.evaluate(terms, before, BANDS)
    high = sr.evaluate(terms, after, BANDS)
    assert high.score >= low.score
    assert sr.points(key, after[key], terms[which].cap) >= sr.points(
        key, before[key], terms[which].cap
    )


@given(st.lists(st.decimals(min_value=0, max_value=100, places=1), max_size=30))
def test_ranks_are_competition_ranks(scores):
    ranks = sr.competition_ranks(scores)
    for s, r in zip(scores, ranks, strict=True):
        assert r == 1 + sum(1 for o in scores if o > s)
        assert all(rank == r for o, rank in zip(scores, ranks, strict=True) if o == s)
