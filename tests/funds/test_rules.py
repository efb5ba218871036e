"""funds.rules without a database: shares, the two limits, rounding, the day-by-day check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from funds import rules

D = Decimal
TWENTY, EIGHTY = D("0.20"), D("0.80")
money = st.decimals(min_value=D("0.01"), max_value=D("200000000"), places=2)


def test_share_has_four_decimals_rounded_half_up():
    assert rules.share(D("61000000.00"), D("90000000.00")) == D("0.6778")
    assert rules.share(D("8000000.00"), D("90000000.00")) == D("0.0889")
    # 1/8 = 0.125 exactly; 0.00005 rounds up
    assert rules.share(D("0.00005"), D("1")) == D("0.0001")
    assert rules.share(D("1"), D("3")) == D("0.3333")


def test_share_is_none_when_nothing_received():
    assert rules.share(D("5.00"), D("0.00")) is None
    assert rules.share(D("0.00"), D("0.00")) is None


def test_other_limit_is_five_times_other_at_most_received():
    assert rules.within_other_limit(other=D("20.00"), received=D("100.00"), max_share=TWENTY)
    assert not rules.within_other_limit(other=D("20.01"), received=D("100.00"), max_share=TWENTY)
    assert rules.within_other_limit(other=D("0.00"), received=D("0.00"), max_share=TWENTY)
    assert not rules.within_other_limit(other=D("0.01"), received=D("0.00"), max_share=TWENTY)


def test_transformation_target_is_five_times_at_least_four_times_received():
    assert rules.transformation_target_met(
        transformation=D("80.00"), received=D("100.00"), min_share=EIGHTY
    )
    assert not rules.transformation_target_met(
        transformation=D("79.99"), received=D("100.00"), min_share=EIGHTY
    )
    # Nothing received: not met (decision, docs/rules.md).
    assert not rules.transformation_target_met(
        transformation=D("0.00"), received=D("0.00"), min_share=EIGHTY
    )


@given(other=money, received=money)
def test_limit_with_twenty_percent_is_the_integer_rule(other, received):
    assert rules.within_other_limit(other=other, received=received, max_share=TWENTY) == (
        5 * other <= received
    )


@given(transformation=money, received=money)
def test_target_with_eighty_percent_is_the_integer_rule(transformation, received):
    assert rules.transformation_target_met(
        transformation=transformation, received=received, min_share=EIGHTY
    ) == (5 * transformation >= 4 * received)


@given(part=money, whole=money)
def test_share_is_within_half_a_unit_of_the_exact_ratio(part, whole):
    s = rules.share(part, whole)
    assert s is not None and s == s.quantize(D("0.0001"))
    assert abs(s - part / whole) <= D("0.00005")


DAY = dt.date(2025, 3, 1)


def test_first_breach_walks_day_by_day():
    m = rules.Movement
    ok = [m(DAY, received=D("100.00")), m(DAY + dt.timedelta(days=1), other=D("20.00"))]
    assert rules.first_breach(ok, max_share=TWENTY) is None
    # An expense back-dated before the money arrived breaks the limit on its own day.
    early = [m(DAY, received=D("100.00")), m(DAY - dt.timedelta(days=1), other=D("1.00"))]
    breach = rules.first_breach(early, max_share=TWENTY)
    assert breach is not None and breach.day == DAY - dt.timedelta(days=1)
    assert breach.other == D("1.00") and breach.received == D("0.00")
    # Same day: receipt and expense net out.
    same_day = [m(DAY, received=D("5")), m(DAY, other=D("1"))]
    assert rules.first_breach(same_day, max_share=TWENTY) is None


def test_breach_message_has_the_figures():
    breach = rules.first_breach(
        [rules.Movement(DAY, received=D("90000000.00"), other=D("18000000.01"))], max_share=TWENTY
    )
    assert breach is not None
    text = breach.message()
    assert "2025-03-01" in text
    assert "9,000.00 万元" in text  # received
    assert "1,800.00 万元（18,000,000.01 元）" in text  # other after the expense
    assert "20%" in text
    assert "1,800.00 万元（18,000,000.00 元）" in text  # the limit


def test_cap_message():
    assert rules.cap_message(received=D("90.00"), amount=D("10.00"), cap=D("100.00")) is None
    text = rules.cap_message(
        received=D("90000000.00"), amount=D("10000000.01"), cap=D("100000000.00")
    )
    assert text is not None and "10,000.00 万元（100,000,000.00 元）" in text
    assert "100,000,000.01" in text


def test_category_and_amount_errors():
    assert rules.category_error("receipt", "") is None
    assert rules.category_error("receipt", "platform") == "收入不填支出类别"
    assert rules.category_error("expense", "") is not None
    assert rules.category_error("expense", "nonsense") is not None
    assert rules.category_error("expense", "chain") is None
    assert rules.amount_error(D("0.01")) is None
    assert rules.amount_error(D("0")) is not None
    assert rules.amount_error(D("-5")) is not None
    assert rules.amount_error(D("1.005")) is not None
    assert rules.amount_error(D("NaN")) is not None
    assert rules.amount_error(rules.MAX_ENTRY_AMOUNT) is None
    assert rules.amount_error(rules.MAX_ENTRY_AMOUNT + D("0.01")) is not None
