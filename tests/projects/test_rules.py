"""The pure project rules (domain §4.2, §4.3, §4.6): table-driven and hypothesis; no database."""

from __future__ import annotations

import ast
import inspect
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects import rules
from projects.rules import (
    ASSESSOR,
    CITY_OFFICIAL,
    DISTRICT_OFFICIAL,
    ENTERPRISE,
    PROVIDER,
    Category,
    Dates,
    Move,
    ProjectState,
    Stage,
    SubsidyTerms,
)

PROPERTY = settings(
    max_examples=300,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def test_the_module_imports_only_the_standard_library():
    tree = ast.parse(inspect.getsource(rules))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {
        "__future__",
        "calendar",
        "collections",
        "dataclasses",
        "datetime",
        "decimal",
        "enum",
        "types",
        "typing",
    }


# --- stages, labels, fields ----------------------------------------------------------------


def test_stages_in_pipeline_order_with_their_labels_and_dates():
    assert [s.value for s in rules.STAGES] == [
        "applied",
        "admitted",
        "diagnosed",
        "provider_selected",
        "contract_filed",
        "completed",
        "acceptance_applied",
        "accepted",
        "subsidy_approved",
        "subsidy_paid",
    ]
    assert rules.STAGE_LABELS[Stage.APPLIED] == "已申报"
    assert rules.STAGE_LABELS[Stage.SUBSIDY_PAID] == "奖补已拨付"
    assert list(rules.STAGE_LABELS) == list(rules.STAGES)
    assert rules.date_field(Stage.PROVIDER_SELECTED) == "provider_selected_on"
    assert rules.OUTCOME_FIELDS == ("rejected_on", "acceptance_failed_on", "withdrawn_on")
    assert set(rules.DATE_LABELS) == set(rules.DATE_FIELDS)
    assert rules.DATE_FIELDS[:10] == rules.STAGE_FIELDS


def test_categories_and_the_eligible_ones():
    assert set(rules.CATEGORY_LABELS) == set(Category)
    assert rules.CATEGORY_LABELS[Category.DATA_HARDWARE] == "数据采集传输设备"
    assert {Category.SOFTWARE, Category.CLOUD, Category.DATA_HARDWARE} == rules.ELIGIBLE


# --- add_months ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 15), 3, date(2025, 4, 15)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),  # leap year
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 10, 31), 3, date(2026, 1, 31)),
        (date(2025, 12, 31), 12, date(2026, 12, 31)),
        (date(2025, 5, 31), -3, date(2025, 2, 28)),
        (date(2025, 5, 10), 0, date(2025, 5, 10)),
    ],
)
def test_add_months_clamps_to_the_months_last_day(day, months, expected):
    assert rules.add_months(day, months) == expected


@PROPERTY
@given(st.dates(date(2000, 1, 1), date(2090, 12, 31)), st.integers(-120, 120))
def test_add_months_moves_whole_calendar_months(day, months):
    moved = rules.add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == day.day or (moved.day < day.day and (moved + timedelta(1)).day == 1)


# --- date rules ----------------------------------------------------------------------------

D = date(2025, 1, 1)


def day(n: int) -> date:
    return D + timedelta(days=n)


def full(until: Stage, **extra) -> Dates:
    """Dates for every stage up to `until`, one day apart."""
    values = {
        rules.date_field(s): day(i)
        for i, s in enumerate(rules.STAGES[: rules.STAGES.index(until) + 1])
    }
    values.update(extra)
    return Dates(**values)


@pytest.mark.parametrize(
    "dates",
    [
        Dates(),
        full(Stage.APPLIED),
        full(Stage.SUBSIDY_PAID, planned_completion_on=day(3)),
        Dates(applied_on=day(0), admitted_on=day(0), diagnosed_on=day(0)),  # same day is fine
        Dates(applied_on=day(0), rejected_on=day(0)),
        Dates(applied_on=day(0), rejected_on=day(5)),
        full(Stage.ACCEPTANCE_APPLIED, acceptance_failed_on=day(7)),
        full(Stage.ACCEPTED, accepted_on=day(9), acceptance_failed_on=day(7)),
        full(
            Stage.SUBSIDY_PAID,
            acceptance_failed_on=day(8),
            accepted_on=day(9),
            subsidy_approved_on=day(10),
            subsidy_paid_on=day(11),
        ),
        full(Stage.COMPLETED, withdrawn_on=day(6)),
        full(Stage.ACCEPTANCE_APPLIED, acceptance_failed_on=day(7), withdrawn_on=day(8)),
        Dates(planned_completion_on=day(10)),
    ],
)
def test_dates_in_order_have_no_errors(dates):
    assert rules.date_errors(dates) == []


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (
            Dates(completed_on=day(1)),
            [
                (
                    "completed_on",
                    "填写了完工日期，但缺少申报日期、入库日期、诊断日期、选定服务商日期、合同备案日期",
                )
            ],
        ),
        (
            Dates(applied_on=day(0), diagnosed_on=day(1)),
            [("diagnosed_on", "填写了诊断日期，但缺少入库日期")],
        ),
        (
            Dates(applied_on=day(3), admitted_on=day(2)),
            [("admitted_on", "入库日期（2025-01-03）不能早于申报日期（2025-01-04）")],
        ),
        (
            Dates(applied_on=day(0), admitted_on=day(1), rejected_on=day(1)),
            [("rejected_on", "未入库日期与入库日期不能同时填写")],
        ),
        (
            Dates(rejected_on=day(1)),
            [("rejected_on", "填写了未入库日期，但缺少申报日期")],
        ),
        (
            Dates(applied_on=day(2), rejected_on=day(1)),
            [("rejected_on", "未入库日期（2025-01-02）不能早于申报日期（2025-01-03）")],
        ),
        (
            full(Stage.COMPLETED, acceptance_failed_on=day(9)),
            [("acceptance_failed_on", "填写了验收未通过日期，但缺少申请验收日期")],
        ),
        (
            full(Stage.ACCEPTANCE_APPLIED, acceptance_failed_on=day(6)),
            [
                (
                    "acceptance_failed_on",
                    "验收未通过日期（2025-01-07）应晚于申请验收日期（2025-01-07）",
                )
            ],
        ),
        (
            full(Stage.ACCEPTED, acceptance_failed_on=day(7)),
            [
                (
                    "acceptance_failed_on",
                    "验收未通过日期（2025-01-08）应早于验收通过日期（2025-01-08）",
                )
            ],
        ),
        (
            full(Stage.ACCEPTED, withdrawn_on=day(9)),
            [("withdrawn_on", "已验收通过的项目不能退出：退出日期与验收通过日期不能同时填写")],
        ),
        (
            full(Stage.COMPLETED, withdrawn_on=day(5)),
            [("withdrawn_on", "退出日期（2025-01-06）应晚于完工日期（2025-01-06）")],
        ),
        (
            full(Stage.COMPLETED, withdrawn_on=day(3)),
            [("withdrawn_on", "退出日期（2025-01-04）应晚于完工日期（2025-01-06）")],
        ),
        (
            full(Stage.ACCEPTANCE_APPLIED, acceptance_failed_on=day(9), withdrawn_on=day(8)),
            [("withdrawn_on", "退出日期（2025-01-09）应晚于验收未通过日期（2025-01-10）")],
        ),
        (
            Dates(applied_on=day(0), rejected_on=day(1), withdrawn_on=day(2)),
            [("withdrawn_on", "未入库的项目不能退出：退出日期与未入库日期不能同时填写")],
        ),
        (
            Dates(withdrawn_on=day(2)),
            [("withdrawn_on", "填写了退出日期，但缺少申报日期")],
        ),
    ],
)
def test_each_date_rule_names_its_field(dates, expected):
    assert rules.date_errors(dates) == expected


def test_several_errors_are_all_reported_in_field_order():
    errors = rules.date_errors(
        Dates(applied_on=day(5), admitted_on=day(1), completed_on=day(9), rejected_on=day(2))
    )
    assert [field for field, _ in errors] == [
        "admitted_on",
        "completed_on",
        "rejected_on",
        "rejected_on",
    ]


@st.composite
def ordered_dates(draw: st.DrawFn) -> Dates:
    """Valid dates: a prefix of the stages, non-decreasing, and the outcomes where they fit."""
    n = draw(st.integers(0, len(rules.STAGES)))
    gaps = draw(st.lists(st.integers(0, 60), min_size=n, max_size=n))
    values: dict[str, date] = {}
    current = day(0)
    for stage, gap in zip(rules.STAGES, gaps, strict=False):
        current += timedelta(days=gap)
        values[rules.date_field(stage)] = current
    if n == 1 and draw(st.booleans()):
        values["rejected_on"] = current + timedelta(days=draw(st.integers(0, 30)))
    if n >= 7 and draw(st.booleans()):
        applied = values["acceptance_applied_on"]
        accepted = values.get("accepted_on")
        room = (accepted - applied).days - 1 if accepted else 30
        if room >= 1:
            values["acceptance_failed_on"] = applied + timedelta(days=draw(st.integers(1, room)))
    if 1 <= n <= 7 and "rejected_on" not in values and draw(st.booleans()):
        last = max(values.values())
        values["withdrawn_on"] = last + timedelta(days=draw(st.integers(1, 30)))
    if draw(st.booleans()):
        values["planned_completion_on"] = draw(st.dates(date(2024, 1, 1), date(2027, 12, 31)))
    return Dates(**values)


@PROPERTY
@given(ordered_dates())
def test_generated_valid_dates_have_no_errors(dates):
    assert rules.date_errors(dates) == []


@PROPERTY
@given(ordered_dates(), st.data())
def test_dropping_an_earlier_stage_date_is_always_reported(dates, data):
    present = [s for s in rules.STAGES if dates.of(s) is not None]
    if len(present) < 2:
        return
    dropped = data.draw(st.sampled_from(present[:-1]))
    broken = Dates(**{**_as_dict(dates), rules.date_field(dropped): None})
    errors = rules.date_errors(broken)
    later = rules.date_field(present[-1])
    assert any(
        field == later and rules.DATE_LABELS[rules.date_field(dropped)] in message
        for field, message in errors
    )


def _as_dict(dates: Dates) -> dict[str, date | None]:
    return {name: getattr(dates, name) for name in rules.DATE_FIELDS}


# --- reached, furthest stage, overdue ------------------------------------------------------


def test_reached_and_furthest_stage_as_of():
    dates = full(Stage.COMPLETED)  # completed on day(5)
    assert rules.reached(dates, Stage.COMPLETED, day(5))
    assert not rules.reached(dates, Stage.COMPLETED, day(4))
    assert not rules.reached(dates, Stage.ACCEPTED, day(100))
    assert rules.furthest_stage(dates, day(5)) is Stage.COMPLETED
    assert rules.furthest_stage(dates, day(4)) is Stage.CONTRACT_FILED
    assert rules.furthest_stage(dates, day(0)) is Stage.APPLIED
    assert rules.furthest_stage(dates, day(-1)) is None
    assert rules.furthest_stage(Dates(), day(0)) is None


@pytest.mark.parametrize(
    ("dates", "as_of", "expected"),
    [
        # completed exactly 3 months back: the deadline day itself is not overdue yet
        (Dates(completed_on=date(2025, 1, 15)), date(2025, 4, 15), False),
        (Dates(completed_on=date(2025, 1, 15)), date(2025, 4, 16), True),
        # month-end clamping: 2025-11-30 + 3 months is 2026-02-28
        (Dates(completed_on=date(2025, 11, 30)), date(2026, 2, 28), False),
        (Dates(completed_on=date(2025, 11, 30)), date(2026, 3, 1), True),
        (Dates(completed_on=date(2023, 11, 30)), date(2024, 2, 29), False),
        (Dates(completed_on=date(2023, 11, 30)), date(2024, 3, 1), True),
        # applied for acceptance by as_of: not overdue; applied only after as_of: overdue
        (
            Dates(completed_on=date(2025, 1, 15), acceptance_applied_on=date(2025, 6, 1)),
            date(2025, 6, 1),
            False,
        ),
        (
            Dates(completed_on=date(2025, 1, 15), acceptance_applied_on=date(2025, 6, 2)),
            date(2025, 6, 1),
            True,
        ),
        # withdrawn by as_of: not counted; withdrawn later: counted
        (
            Dates(completed_on=date(2025, 1, 15), withdrawn_on=date(2025, 5, 1)),
            date(2025, 6, 1),
            False,
        ),
        (
            Dates(completed_on=date(2025, 1, 15), withdrawn_on=date(2025, 7, 1)),
            date(2025, 6, 1),
            True,
        ),
        (Dates(), date(2025, 6, 1), False),
    ],
)
def test_acceptance_overdue(dates, as_of, expected):
    assert rules.acceptance_overdue(dates, as_of, 3) is expected


def test_acceptance_overdue_months_are_a_parameter():
    dates = Dates(completed_on=date(2025, 1, 31))
    assert rules.acceptance_overdue(dates, date(2025, 3, 1), 1)
    assert not rules.acceptance_overdue(dates, date(2025, 3, 1), 3)


@pytest.mark.parametrize(
    ("dates", "as_of", "expected"),
    [
        (Dates(planned_completion_on=date(2025, 6, 1)), date(2025, 6, 1), False),
        (Dates(planned_completion_on=date(2025, 6, 1)), date(2025, 6, 2), True),
        (
            Dates(planned_completion_on=date(2025, 6, 1), completed_on=date(2025, 6, 2)),
            date(2025, 6, 2),
            False,
        ),
        (
            Dates(planned_completion_on=date(2025, 6, 1), completed_on=date(2025, 6, 3)),
            date(2025, 6, 2),
            True,
        ),
        (
            Dates(planned_completion_on=date(2025, 6, 1), withdrawn_on=date(2025, 6, 2)),
            date(2025, 6, 2),
            False,
        ),
        (
            Dates(planned_completion_on=date(2025, 6, 1), withdrawn_on=date(2025, 6, 3)),
            date(2025, 6, 2),
            True,
        ),
        (Dates(), date(2025, 6, 2), False),
    ],
)
def test_completion_overdue(dates, as_of, expected):
    assert rules.completion_overdue(dates, as_of) is expected


# --- eligible investment and the entitlement -----------------------------------------------


def terms(
    valid_from: date = date(2024, 1, 1),
    valid_to: date | None = None,
    rate: str = "0.4",
    caps: tuple[str, str, str] = ("300000", "400000", "500000"),
    min_level: int = 2,
) -> SubsidyTerms:
    return SubsidyTerms(
        valid_from=valid_from,
        valid_to=valid_to,
        rate=Decimal(rate),
        caps=dict(zip((2, 3, 4), map(Decimal, caps), strict=True)),
        min_level=min_level,
    )


def test_eligible_investment_sums_the_eligible_lines_only():
    lines = [
        ("software", Decimal("100000.10")),
        ("cloud", Decimal("20000")),
        ("data_hardware", Decimal("3000.05")),
        ("it_ops", Decimal("50000")),
        ("embedded", Decimal("1")),
        ("office_it", Decimal("2")),
        ("cabling", Decimal("3")),
        ("other", Decimal("4")),
        (Category.SOFTWARE, Decimal("0.85")),
    ]
    assert rules.eligible_investment(lines) == Decimal("123001.00")
    assert rules.eligible_investment([]) == Decimal("0.00")


@pytest.mark.parametrize("lines", [[("hardware", Decimal(1))], [("software", Decimal("-0.01"))]])
def test_eligible_investment_refuses_unknown_categories_and_negative_amounts(lines):
    with pytest.raises(ValueError):
        rules.eligible_investment(lines)


# Hefei: 50% for 2024 completions, 40% for 2025; caps 30/40/50 万元 at L2/L3/L4.
HEFEI = [
    terms(date(2024, 1, 1), date(2024, 12, 31), "0.5"),
    terms(date(2025, 1, 1), None, "0.4"),
]


@pytest.mark.parametrize(
    ("completed_on", "after_level", "eligible", "expected"),
    [
        (date(2024, 6, 1), 2, "100000", "50000.00"),  # 2024 rule: 50%
        (date(2024, 12, 31), 2, "100000", "50000.00"),  # valid_to inclusive
        (date(2025, 1, 1), 2, "100000", "40000.00"),  # 2025 rule: 40%
        (date(2030, 1, 1), 2, "100000", "40000.00"),  # open-ended
        (date(2023, 12, 31), 4, "100000", "0.00"),  # no rule
        (date(2025, 3, 1), 2, "1000000", "300000.00"),  # L2 cap
        (date(2025, 3, 1), 3, "1000000", "400000.00"),  # L3 cap
        (date(2025, 3, 1), 4, "2000000", "500000.00"),  # L4 cap
        (date(2025, 3, 1), 4, "1000000", "400000.00"),  # under the L4 cap
        (date(2025, 3, 1), 1, "1000000", "0.00"),  # below the minimum level
        (date(2025, 3, 1), 0, "1000000", "0.00"),
        (date(2025, 3, 1), None, "1000000", "0.00"),  # no after-level
        (None, 3, "1000000", "0.00"),  # not completed
        (date(2025, 3, 1), 2, "0", "0.00"),
        (date(2025, 3, 1), 2, "0.01", "0.00"),  # 0.004 rounds down
        (date(2025, 3, 1), 2, "0.02", "0.01"),  # 0.008 rounds up
        (date(2025, 3, 1), 2, "1.25", "0.50"),
        (date(2024, 3, 1), 2, "0.01", "0.01"),  # 0.005 rounds half up
        (date(2024, 3, 1), 2, "12345.67", "6172.84"),  # 6172.835 → .84
    ],
)
def test_entitlement_table(completed_on, after_level, eligible, expected):
    assert rules.entitlement(
        HEFEI, completed_on=completed_on, after_level=after_level, eligible=Decimal(eligible)
    ) == Decimal(expected)


def test_entitlement_respects_the_rules_minimum_level():
    strict = [terms(min_level=3)]
    common = {"completed_on": date(2025, 1, 1), "eligible": Decimal("100000")}
    assert rules.entitlement(strict, after_level=2, **common) == Decimal("0.00")
    assert rules.entitlement(strict, after_level=3, **common) == Decimal("40000.00")


def test_entitlement_is_two_decimals_and_refuses_negative_investment():
    result = rules.entitlement(
        HEFEI, completed_on=date(2025, 1, 1), after_level=2, eligible=Decimal("3")
    )
    assert result.as_tuple().exponent == -2
    with pytest.raises(ValueError):
        rules.entitlement(
            HEFEI, completed_on=date(2025, 1, 1), after_level=2, eligible=Decimal("-1")
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"valid_from": date(2025, 1, 2), "valid_to": date(2025, 1, 1)},
        {"rate": "1.0001"},
        {"rate": "-0.1"},
        {"caps": ("-1", "0", "0")},
        {"min_level": 1},
        {"min_level": 5},
    ],
)
def test_terms_refuse_impossible_values(kwargs):
    with pytest.raises(ValueError):
        terms(**kwargs)


def test_terms_caps_need_levels_two_to_four():
    with pytest.raises(ValueError):
        SubsidyTerms(date(2025, 1, 1), None, Decimal("0.4"), {2: Decimal(1)}, 2)


def test_rule_for_picks_the_range_containing_the_day():
    assert rules.rule_for(HEFEI, date(2024, 12, 31)) is HEFEI[0]
    assert rules.rule_for(HEFEI, date(2025, 1, 1)) is HEFEI[1]
    assert rules.rule_for(HEFEI, date(2023, 1, 1)) is None
    assert rules.rule_for([], date(2025, 1, 1)) is None
    # overlapping ranges never pass the service; were they to, the later start wins every time
    both = [terms(date(2024, 1, 1), None, "0.3"), terms(date(2025, 1, 1), None, "0.2")]
    assert rules.rule_for(both, date(2025, 6, 1)) is both[1]
    assert rules.rule_for(list(reversed(both)), date(2025, 6, 1)) is both[1]


@pytest.mark.parametrize(
    ("ranges", "pairs"),
    [
        ([(date(2024, 1, 1), date(2024, 12, 31)), (date(2025, 1, 1), None)], []),
        ([(date(2024, 1, 1), date(2024, 12, 31)), (date(2024, 12, 31), None)], [(0, 1)]),
        ([(date(2025, 1, 1), None), (date(2024, 1, 1), None)], [(1, 0)]),
        ([(date(2024, 1, 1), None), (date(2024, 1, 1), date(2024, 1, 1))], [(1, 0)]),
        (
            [
                (date(2024, 1, 1), date(2024, 6, 30)),
                (date(2024, 3, 1), date(2024, 3, 31)),
                (date(2024, 7, 1), None),
                (date(2025, 1, 1), date(2025, 1, 31)),
            ],
            [(0, 1), (2, 3)],
        ),
        ([], []),
    ],
)
def test_overlapping_names_each_pair_earlier_first(ranges, pairs):
    given_rules = [terms(start, end) for start, end in ranges]
    found = rules.overlapping(given_rules)
    assert [(given_rules.index(a), given_rules.index(b)) for a, b in found] == pairs


@PROPERTY
@given(
    st.lists(
        st.tuples(st.dates(date(2024, 1, 1), date(2026, 12, 31)), st.integers(0, 400) | st.none()),
        max_size=6,
    ),
    st.dates(date(2023, 6, 1), date(2028, 1, 1)),
)
def test_without_overlaps_at_most_one_rule_covers_a_day(ranges, completed_on):
    given_rules = [
        terms(start, None if length is None else start + timedelta(days=length))
        for start, length in ranges
    ]
    covering = [r for r in given_rules if r.covers(completed_on)]
    if not rules.overlapping(given_rules):
        assert len(covering) <= 1
    if len(covering) >= 2:
        assert rules.overlapping(given_rules)


money_amounts = st.decimals(
    min_value=Decimal(0), max_value=Decimal("100000000"), places=2, allow_nan=False
)
rates = st.decimals(min_value=Decimal(0), max_value=Decimal(1), places=4, allow_nan=False)


@st.composite
def subsidy_terms(draw: st.DrawFn) -> SubsidyTerms:
    start = draw(st.dates(date(2023, 1, 1), date(2027, 12, 31)))
    length = draw(st.none() | st.integers(0, 1000))
    return SubsidyTerms(
        valid_from=start,
        valid_to=None if length is None else start + timedelta(days=length),
        rate=draw(rates),
        caps={level: draw(money_amounts) for level in (2, 3, 4)},
        min_level=draw(st.integers(2, 4)),
    )


@PROPERTY
@given(
    st.lists(subsidy_terms(), max_size=4),
    st.none() | st.dates(date(2023, 1, 1), date(2030, 12, 31)),
    st.none() | st.integers(0, 4),
    money_amounts,
)
def test_entitlement_never_exceeds_cap_or_rate_times_investment(
    policy, completed_on, after_level, eligible
):
    amount = rules.entitlement(
        policy, completed_on=completed_on, after_level=after_level, eligible=eligible
    )
    assert amount >= 0
    assert amount == amount.quantize(Decimal("0.01"))
    rule = None if completed_on is None else rules.rule_for(policy, completed_on)
    if rule is None or after_level is None or after_level < rule.min_level:
        assert amount == 0
        return
    assert amount <= rule.caps[after_level]
    assert amount <= (rule.rate * eligible).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert amount in (
        rule.caps[after_level],
        (rule.rate * eligible).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
    )


def test_describe_puts_the_rule_in_words():
    text = rules.describe(HEFEI[0])
    assert text == (
        "完工日期在 2024-01-01 至 2024-12-31的项目，"
        "按符合条件投资（软件、云服务、数据采集传输设备）的 50% 补助，"
        "改造后等级须达到二级及以上：二级封顶 30 万元、三级封顶 40 万元、四级封顶 50 万元；"
        "低于该等级或没有改造后等级的项目不予奖补。"
    )
    odd = terms(rate="0.375", caps=("12345.6", "400000", "500000"), min_level=3)
    assert "37.5%" in rules.describe(odd)
    assert "二级" not in rules.describe(odd).split("：")[1]
    assert "起（不设截止日期）" in rules.describe(odd)
    exact = terms(caps=("300000", "412345.6", "500000"))
    assert "三级封顶 412,345.60 元" in rules.describe(exact)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            terms(rate="0.4"),
            "例：完工日期 2024-01-01、符合条件投资 100 万元、改造后等级二级的项目："
            "100 万元 × 40% = 40 万元，高于二级封顶 30 万元，奖补最多 30 万元。",
        ),
        (
            terms(rate="0.125", min_level=3),
            "例：完工日期 2024-01-01、符合条件投资 100 万元、改造后等级三级的项目："
            "100 万元 × 12.5% = 12.5 万元，未超过三级封顶 40 万元，奖补最多 12.5 万元。",
        ),
    ],
)
def test_example_works_the_rule_through(rule, expected):
    assert rules.example(rule) == expected


# --- the stage table -----------------------------------------------------------------------

S = ProjectState
STATES: dict[str, ProjectState] = {
    "none": S(),
    "applied": S(Stage.APPLIED),
    "applied_reviewed": S(Stage.APPLIED, application_reviewed=True),
    "rejected": S(Stage.APPLIED, rejected=True),
    "admitted": S(Stage.ADMITTED, application_reviewed=True),
    "diagnosed": S(Stage.DIAGNOSED, application_reviewed=True),
    "provider_selected": S(Stage.PROVIDER_SELECTED, application_reviewed=True),
    "filing_submitted": S(
        Stage.PROVIDER_SELECTED, application_reviewed=True, filing_submitted=True
    ),
    "filing_returned": S(Stage.PROVIDER_SELECTED, application_reviewed=True, filing_returned=True),
    "contract_filed": S(Stage.CONTRACT_FILED, application_reviewed=True),
    "completed": S(Stage.COMPLETED, application_reviewed=True),
    "acceptance_applied": S(Stage.ACCEPTANCE_APPLIED, acceptance_attempts=1),
    "acceptance_reviewed": S(
        Stage.ACCEPTANCE_APPLIED, acceptance_attempts=1, acceptance_reviewed=True
    ),
    "acceptance_scheduled": S(
        Stage.ACCEPTANCE_APPLIED,
        acceptance_attempts=1,
        acceptance_reviewed=True,
        acceptance_scheduled=True,
    ),
    "failed_once": S(
        Stage.ACCEPTANCE_APPLIED,
        acceptance_attempts=1,
        failed_attempts=1,
        acceptance_reviewed=True,
        acceptance_scheduled=True,
    ),
    "applied_again": S(Stage.ACCEPTANCE_APPLIED, acceptance_attempts=2, failed_attempts=1),
    "failed_twice": S(
        Stage.ACCEPTANCE_APPLIED,
        acceptance_attempts=2,
        failed_attempts=2,
        acceptance_reviewed=True,
        acceptance_scheduled=True,
    ),
    "accepted": S(Stage.ACCEPTED, acceptance_attempts=1),
    "subsidy_approved": S(Stage.SUBSIDY_APPROVED, acceptance_attempts=1),
    "subsidy_paid": S(Stage.SUBSIDY_PAID, acceptance_attempts=1),
    "withdrawn": S(Stage.DIAGNOSED, application_reviewed=True, withdrawn=True),
    "withdrawn_late": S(Stage.ACCEPTANCE_APPLIED, acceptance_attempts=1, withdrawn=True),
}

E, DO, C, P, A = ENTERPRISE, DISTRICT_OFFICIAL, CITY_OFFICIAL, PROVIDER, ASSESSOR
WITHDRAW = {(Move.WITHDRAW, E), (Move.WITHDRAW, C)}

# The whole table: in each state, exactly these (move, actor) pairs are allowed.
ALLOWED: dict[str, set[tuple[Move, str]]] = {
    "none": {(Move.APPLY, E), (Move.APPLY, C)},
    "applied": {
        (Move.DISTRICT_REVIEW_APPLICATION, DO),
        (Move.REJECT, DO),
        (Move.REJECT, C),
        *WITHDRAW,
    },
    "applied_reviewed": {(Move.ADMIT, C), (Move.REJECT, C), *WITHDRAW},
    "rejected": set(),
    "admitted": {(Move.DIAGNOSE, P), (Move.DIAGNOSE, C), *WITHDRAW},
    "diagnosed": {(Move.SELECT_PROVIDER, E), *WITHDRAW},
    "provider_selected": {(Move.FILE_CONTRACT, E), *WITHDRAW},
    "filing_submitted": {(Move.APPROVE_FILING, C), (Move.RETURN_FILING, C), *WITHDRAW},
    "filing_returned": {(Move.FILE_CONTRACT, E), *WITHDRAW},
    "contract_filed": {(Move.COMPLETE, E), *WITHDRAW},
    "completed": {(Move.APPLY_ACCEPTANCE, E), *WITHDRAW},
    "acceptance_applied": {(Move.DISTRICT_REVIEW_ACCEPTANCE, DO), *WITHDRAW},
    "acceptance_reviewed": {(Move.SCHEDULE_ACCEPTANCE, C), *WITHDRAW},
    "acceptance_scheduled": {(Move.ACCEPT, C), (Move.FAIL_ACCEPTANCE, C), *WITHDRAW},
    "failed_once": {(Move.APPLY_ACCEPTANCE, E), *WITHDRAW},
    "applied_again": {(Move.DISTRICT_REVIEW_ACCEPTANCE, DO), *WITHDRAW},
    "failed_twice": WITHDRAW,
    "accepted": {(Move.APPROVE_SUBSIDY, C)},
    "subsidy_approved": {(Move.PAY_SUBSIDY, C)},
    "subsidy_paid": set(),
    "withdrawn": set(),
    "withdrawn_late": set(),
}

CASES = [(name, move, actor) for name in STATES for move in Move for actor in (E, DO, C, P, A)]


def test_the_table_covers_every_stage_and_the_states_are_named_once():
    assert set(ALLOWED) == set(STATES)
    assert {s.stage for s in STATES.values()} == {None, *rules.STAGES}
    assert set(rules.MOVE_LABELS) == set(Move) == set(rules.MOVE_ACTORS)


@pytest.mark.parametrize(("state", "move", "actor"), CASES)
def test_stage_table(state, move, actor):
    reason = rules.check_move(STATES[state], move, actor)
    if (move, actor) in ALLOWED[state]:
        assert reason is None
    else:
        assert isinstance(reason, str)
        assert reason
        assert not reason.isascii()  # a Chinese sentence, not a code


@pytest.mark.parametrize(
    ("state", "move", "actor", "reason"),
    [
        ("applied", Move.SELECT_PROVIDER, E, "项目尚未入库，不能选择服务商"),
        ("admitted", Move.SELECT_PROVIDER, E, "项目尚未完成诊断，不能选择服务商"),
        ("accepted", Move.APPROVE_SUBSIDY, E, "只有城市管理员可以核定奖补"),
        ("accepted", Move.APPROVE_SUBSIDY, A, "只有城市管理员可以核定奖补"),
        ("applied", Move.APPLY, E, "该企业本期试点已申报改造项目，不能重复申报"),
        ("none", Move.ADMIT, C, "项目尚未申报，不能入库"),
        ("applied", Move.ADMIT, C, "区县尚未完成入库申请初审，不能入库"),
        ("admitted", Move.ADMIT, C, "项目已处于「已入库」环节，不能再入库"),
        (
            "applied_reviewed",
            Move.DISTRICT_REVIEW_APPLICATION,
            DO,
            "区县已完成入库申请初审，不能重复初审",
        ),
        ("applied_reviewed", Move.REJECT, DO, "区县已完成初审，是否入库由城市管理员决定"),
        ("rejected", Move.ADMIT, C, "项目未入库，不能入库"),
        ("rejected", Move.WITHDRAW, E, "项目未入库，不能退出"),
        ("withdrawn", Move.SELECT_PROVIDER, E, "项目已退出，不能选择服务商"),
        ("withdrawn", Move.WITHDRAW, C, "项目已退出，不能退出"),
        ("accepted", Move.WITHDRAW, E, "项目已验收通过，不能退出"),
        ("subsidy_paid", Move.WITHDRAW, C, "项目已验收通过，不能退出"),
        ("filing_submitted", Move.FILE_CONTRACT, E, "合同备案正在等待审核，不能重复提交"),
        ("provider_selected", Move.APPROVE_FILING, C, "企业尚未提交合同备案，不能通过合同备案"),
        (
            "filing_returned",
            Move.RETURN_FILING,
            C,
            "合同备案已退回，等待企业重新提交，不能退回合同备案",
        ),
        ("acceptance_applied", Move.APPLY_ACCEPTANCE, E, "验收申请正在办理中，不能重复申请验收"),
        ("failed_twice", Move.APPLY_ACCEPTANCE, E, "项目已2次验收未通过，不能再申请验收"),
        ("contract_filed", Move.APPLY_ACCEPTANCE, E, "项目尚未完工，不能申请验收"),
        ("accepted", Move.APPLY_ACCEPTANCE, E, "项目已处于「验收通过」环节，不能再申请验收"),
        (
            "acceptance_applied",
            Move.SCHEDULE_ACCEPTANCE,
            C,
            "区县尚未完成验收申请初审，不能安排现场验收",
        ),
        ("acceptance_reviewed", Move.ACCEPT, C, "尚未安排现场验收，不能确认验收通过"),
        ("acceptance_scheduled", Move.SCHEDULE_ACCEPTANCE, C, "现场验收已安排，不能重复安排"),
        ("failed_once", Move.ACCEPT, C, "没有待办理的验收申请，不能确认验收通过"),
        (
            "acceptance_reviewed",
            Move.DISTRICT_REVIEW_ACCEPTANCE,
            DO,
            "区县已完成验收申请初审，不能重复初审",
        ),
        (
            "subsidy_approved",
            Move.APPROVE_SUBSIDY,
            C,
            "项目已处于「奖补已核定」环节，不能再核定奖补",
        ),
        ("accepted", Move.PAY_SUBSIDY, C, "项目尚未核定奖补，不能拨付奖补"),
        ("admitted", Move.DIAGNOSE, E, "只有服务商或城市管理员可以上传诊断报告"),
        ("accepted", Move.ACCEPT, P, "只有城市管理员可以确认验收通过"),
    ],
)
def test_reasons_say_why(state, move, actor, reason):
    assert rules.check_move(STATES[state], move, actor) == reason


def test_allowed_moves_lists_the_buttons():
    assert rules.allowed_moves(STATES["acceptance_scheduled"], C) == [
        Move.ACCEPT,
        Move.FAIL_ACCEPTANCE,
        Move.WITHDRAW,
    ]
    assert rules.allowed_moves(STATES["acceptance_scheduled"], A) == []


def test_the_one_path_from_application_to_paid_subsidy():
    path = [
        (Move.APPLY, E),
        (Move.DISTRICT_REVIEW_APPLICATION, DO),
        (Move.ADMIT, C),
        (Move.DIAGNOSE, P),
        (Move.SELECT_PROVIDER, E),
        (Move.FILE_CONTRACT, E),
        (Move.RETURN_FILING, C),
        (Move.FILE_CONTRACT, E),
        (Move.APPROVE_FILING, C),
        (Move.COMPLETE, E),
        (Move.APPLY_ACCEPTANCE, E),
        (Move.DISTRICT_REVIEW_ACCEPTANCE, DO),
        (Move.SCHEDULE_ACCEPTANCE, C),
        (Move.FAIL_ACCEPTANCE, C),
        (Move.APPLY_ACCEPTANCE, E),
        (Move.DISTRICT_REVIEW_ACCEPTANCE, DO),
        (Move.SCHEDULE_ACCEPTANCE, C),
        (Move.ACCEPT, C),
        (Move.APPROVE_SUBSIDY, C),
        (Move.PAY_SUBSIDY, C),
    ]
    state = ProjectState()
    for move, actor in path:
        assert rules.check_move(state, move, actor) is None, (move, actor)
        state = rules.after_move(state, move)
    assert state.stage is Stage.SUBSIDY_PAID
    assert state.failed_attempts == 1
    assert rules.allowed_moves(state, C) == []


@st.composite
def walks(draw: st.DrawFn) -> list[tuple[Move, str]]:
    """A random sequence of allowed moves from no project at all."""
    state = ProjectState()
    walk: list[tuple[Move, str]] = []
    for _ in range(draw(st.integers(0, 40))):
        options = [(m, a) for a in rules.ACTORS for m in rules.allowed_moves(state, a)]
        if not options:
            break
        move, actor = draw(st.sampled_from(options))
        walk.append((move, actor))
        state = rules.after_move(state, move)
    return walk


@PROPERTY
@given(walks(), st.lists(st.integers(1, 30), min_size=40, max_size=40))
def test_any_allowed_walk_records_dates_that_pass_the_date_rules(walk, gaps):
    """The stage table and the date rules agree: dates recorded (first time only) along any
    allowed walk, a day or more apart, never break §4.6."""
    state = ProjectState()
    values: dict[str, date] = {}
    today = day(0)
    previous_stage = None
    for (move, actor), gap in zip(walk, gaps, strict=False):
        today += timedelta(days=gap)
        assert rules.check_move(state, move, actor) is None
        field = (
            rules.date_field(rules.MOVE_STAGE[move])
            if move in rules.MOVE_STAGE
            else rules.MOVE_OUTCOME.get(move)
        )
        if field is not None:
            values.setdefault(field, today)
        state = rules.after_move(state, move)
        # the stage never goes back, and only moves forward one stage at a time
        if previous_stage is not None and state.stage is not None:
            assert rules.STAGES.index(state.stage) - rules.STAGES.index(previous_stage) in (0, 1)
        previous_stage = state.stage
    dates = Dates(**values)
    assert rules.date_errors(dates) == []
    assert rules.furthest_stage(dates, today) == state.stage
    assert state.failed_attempts <= 2
    assert not (state.withdrawn and state.rejected)


@PROPERTY
@given(
    st.lists(
        st.tuples(st.dates(date(2024, 1, 1), date(2026, 12, 31)), st.integers(0, 400) | st.none()),
        max_size=6,
    )
)
def test_overlapping_finds_exactly_the_pairs_sharing_a_day(ranges):
    given_rules = [
        terms(start, None if length is None else start + timedelta(days=length))
        for start, length in ranges
    ]

    def share_a_day(a: SubsidyTerms, b: SubsidyTerms) -> bool:
        last = min(a.valid_to or date.max, b.valid_to or date.max)
        return max(a.valid_from, b.valid_from) <= last

    found = {frozenset((id(a), id(b))) for a, b in rules.overlapping(given_rules)}
    expected = {
        frozenset((id(a), id(b)))
        for i, a in enumerate(given_rules)
        for b in given_rules[i + 1 :]
        if share_a_day(a, b)
    }
    assert found == expected
    for a, b in rules.overlapping(given_rules):
        assert a.valid_from <= b.valid_from


@PROPERTY
@given(ordered_dates(), st.dates(date(2024, 6, 1), date(2027, 12, 31)))
def test_valid_dates_reach_a_prefix_of_the_stages_by_any_day(dates, as_of):
    reached_stages = [s for s in rules.STAGES if rules.reached(dates, s, as_of)]
    assert reached_stages == list(rules.STAGES[: len(reached_stages)])
    expected = reached_stages[-1] if reached_stages else None
    assert rules.furthest_stage(dates, as_of) == expected
