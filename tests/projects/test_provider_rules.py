"""`projects.provider_rules` (domain §4.5): the provider evaluation, without a database."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from projects.provider_rules import (
    V1,
    Evaluation,
    ProjectFacts,
    evaluate,
    round_half_up,
    scoring_errors,
    stars_for,
)

D = Decimal
PLAN = dt.date(2025, 6, 30)


def accepted(**extra) -> ProjectFacts:
    values = {
        "accepted": True,
        "baseline_level": 1,
        "after_level": 3,
        "satisfaction": 5,
        "completed_on": dt.date(2025, 6, 1),
        "planned_completion_on": PLAN,
    }
    return ProjectFacts(**(values | extra))


def failed(**extra) -> ProjectFacts:
    values = {
        "failed": True,
        "completed_on": dt.date(2025, 6, 1),
        "planned_completion_on": PLAN,
    }
    return ProjectFacts(**(values | extra))


def test_no_projects_nothing_to_average_score_0_not_rated():
    e = evaluate([], V1)
    assert e == Evaluation(0, 0, 0, None, None, None, None, D("0.0"), None)
    assert e.as_json() == {
        "projects": 0,
        "accepted": 0,
        "failed": 0,
        "acceptance_rate": None,
        "mean_uplift": None,
        "mean_satisfaction": None,
        "on_time_rate": None,
        "score": "0.0",
        "stars": None,
    }


def test_projects_without_an_outcome_yet_count_as_projects_only():
    e = evaluate([ProjectFacts(), ProjectFacts()], V1)
    assert (e.projects, e.accepted, e.failed, e.acceptance_rate) == (2, 0, 0, None)
    assert e.stars is None


def test_perfect_provider_scores_100_and_five_stars():
    e = evaluate([accepted(), accepted(), accepted()], V1)
    assert e.as_json() == {
        "projects": 3,
        "accepted": 3,
        "failed": 0,
        "acceptance_rate": "1.0000",
        "mean_uplift": "2.0000",
        "mean_satisfaction": "5.0000",
        "on_time_rate": "1.0000",
        "score": "100.0",
        "stars": 5,
    }


def test_fewer_outcomes_than_the_minimum_is_not_rated():
    two = evaluate([accepted(), accepted(), ProjectFacts()], V1)
    assert two.score == D("100.0") and two.stars is None
    three = evaluate([accepted(), accepted(), failed()], V1)
    assert three.stars is not None
    # The minimum is data: with 2 the same two outcomes are rated.
    assert evaluate([accepted(), accepted()], dataclasses.replace(V1, min_outcomes=2)).stars == 5


def test_failed_then_accepted_counts_once_as_accepted():
    both = accepted(failed=True)
    e = evaluate([both, failed(), accepted()], V1)
    assert (e.accepted, e.failed) == (2, 1)
    assert e.acceptance_rate == D("0.6667")


def test_the_section_4_6_metrics_give_77_under_the_4_5_formula():
    """The §4.6 example prints 83.5 (★4) for these metrics; the §4.5 formula gives 77.0 (★3)."""
    late = dt.date(2025, 7, 15)
    facts = [
        accepted(baseline_level=2, after_level=3, satisfaction=5),
        *[accepted(baseline_level=2, after_level=3, satisfaction=4) for _ in range(4)],
        accepted(baseline_level=2, after_level=3, satisfaction=None),
        *[accepted(baseline_level=1, after_level=3, satisfaction=None) for _ in range(2)],
        accepted(baseline_level=None, satisfaction=None, completed_on=late),
        failed(completed_on=late),
        ProjectFacts(completed_on=late, planned_completion_on=PLAN),
        ProjectFacts(completed_on=PLAN, planned_completion_on=PLAN),
    ]
    e = evaluate(facts, V1)
    assert e.as_json() == {
        "projects": 12,
        "accepted": 9,
        "failed": 1,
        "acceptance_rate": "0.9000",
        "mean_uplift": "1.2500",
        "mean_satisfaction": "4.2000",
        "on_time_rate": "0.7500",
        "score": "77.0",
        "stars": 3,
    }


def test_uplift_needs_both_levels_and_only_counts_accepted_projects():
    e = evaluate(
        [
            accepted(baseline_level=None, after_level=4),  # missing baseline: left out
            accepted(baseline_level=2, after_level=None),  # missing after-level: left out
            accepted(baseline_level=1, after_level=2),
            failed(baseline_level=1, after_level=4),  # not accepted: left out
        ],
        V1,
    )
    assert e.mean_uplift == D("1.0000")


def test_missing_baseline_everywhere_leaves_uplift_null_and_it_counts_0():
    e = evaluate([accepted(baseline_level=None)] * 3, V1)
    assert e.mean_uplift is None
    assert e.score == D("70.0")  # 30 + 0 + 25 + 15


def test_uplift_is_capped_and_a_negative_mean_counts_0():
    high = evaluate([accepted(baseline_level=1, after_level=4)] * 3, V1)
    assert high.mean_uplift == D("3.0000") and high.score == D("100.0")
    down = evaluate([accepted(baseline_level=4, after_level=2)] * 3, V1)
    assert down.mean_uplift == D("-2.0000") and down.score == D("70.0")
    assert evaluate([accepted()] * 3, dataclasses.replace(V1, uplift_cap=D(4))).score == D("85.0")


def test_satisfaction_is_of_accepted_projects_only():
    facts = [accepted(satisfaction=3), failed(satisfaction=1), accepted(satisfaction=None)]
    e = evaluate(facts, V1)
    assert e.mean_satisfaction == D("3.0000")


def test_on_time_rate_over_completed_projects_on_the_planned_day_is_on_time():
    e = evaluate(
        [
            accepted(completed_on=PLAN),  # on the day: on time
            accepted(completed_on=PLAN + dt.timedelta(days=1)),  # a day late
            accepted(completed_on=dt.date(2025, 1, 1), planned_completion_on=None),  # no plan
            ProjectFacts(planned_completion_on=PLAN),  # not completed: left out
        ],
        V1,
    )
    assert e.on_time_rate == D("0.3333")


def test_rounding_is_half_up_on_the_exact_value():
    assert round_half_up(Fraction(1, 8), 2) == D("0.13")
    assert round_half_up(Fraction(-1, 8), 2) == D("-0.13")
    assert round_half_up(Fraction(2, 3), 4) == D("0.6667")
    assert round_half_up(Fraction(1285, 10), 0) == D("129")  # 128.5 → 129


def test_weights_are_data():
    facts = [accepted(satisfaction=1), accepted(satisfaction=1), failed()]
    assert evaluate(facts, V1).score == D("65.0")  # 30·⅔ + 30 + 0 + 15
    only_acceptance = dataclasses.replace(
        V1, w_acceptance=D(1), w_uplift=D(0), w_satisfaction=D(0), w_on_time=D(0)
    )
    assert evaluate(facts, only_acceptance).score == D("66.7")


def test_star_bands_are_data_and_inclusive():
    bands = V1.bands
    assert [stars_for(D(s), bands) for s in ("90.0", "89.9", "80.0", "70.0", "60.0", "59.9")] == [
        5,
        4,
        4,
        3,
        2,
        1,
    ]
    assert stars_for(D("50.0"), (D(50),)) == 2


def test_scoring_errors():
    assert scoring_errors(V1) == {}
    bad_sum = dataclasses.replace(V1, w_on_time=D("0.20"))
    assert scoring_errors(bad_sum) == {"__all__": "四项权重之和应为 1，现为 1.05"}
    assert "w_uplift" in scoring_errors(dataclasses.replace(V1, w_uplift=D("1.5")))
    assert "bands" in scoring_errors(dataclasses.replace(V1, bands=(D(80), D(90))))
    assert "uplift_cap" in scoring_errors(dataclasses.replace(V1, uplift_cap=D(0)))
    assert "min_outcomes" in scoring_errors(dataclasses.replace(V1, min_outcomes=0))


_level = st.none() | st.integers(min_value=1, max_value=4)
_day = st.none() | st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 12, 31))
_facts = st.builds(
    ProjectFacts,
    accepted=st.booleans(),
    failed=st.booleans(),
    baseline_level=_level,
    after_level=_level,
    satisfaction=st.none() | st.integers(min_value=1, max_value=5),
    completed_on=_day,
    planned_completion_on=_day,
)


@given(st.lists(_facts, max_size=30))
def test_score_is_within_0_and_100_and_metrics_within_their_ranges(facts):
    e = evaluate(facts, V1)
    assert D(0) <= e.score <= D(100)
    assert e.accepted + e.failed <= e.projects == len(facts)
    for rate in (e.acceptance_rate, e.on_time_rate):
        assert rate is None or D(0) <= rate <= D(1)
    assert e.mean_satisfaction is None or D(1) <= e.mean_satisfaction <= D(5)
    assert e.mean_uplift is None or D(-3) <= e.mean_uplift <= D(3)
    assert (e.stars is None) == (e.accepted + e.failed < V1.min_outcomes)


@given(
    st.decimals(min_value=0, max_value=100, places=1),
    st.decimals(min_value=0, max_value=100, places=1),
)
def test_stars_never_go_down_as_the_score_goes_up(a, b):
    low, high = sorted([a, b])
    assert 1 <= stars_for(low, V1.bands) <= stars_for(high, V1.bands) <= 5
