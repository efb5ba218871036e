"""Properties of scoring over random valid documents (hypothesis). Pure: no database.

The oracle is the table written out from docs/rules.md in tests/assessments/documents.py.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments import scoring
from tests.assessments.documents import (
    CONSTRAINT_SCENES,
    DIMENSIONS,
    GATES,
    QUESTIONS,
    SCENES,
    max_points,
    reference_level,
    reference_points,
)

INDICATOR = scoring.default_indicator()
INDICATORS = {"2024": INDICATOR}
# No example database in the repository; no deadline on a shared two-core machine.
PROPERTY = settings(
    max_examples=200,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _answer(code: str) -> st.SearchStrategy[Any]:
    kind, _, options = QUESTIONS[code]
    if kind == "single":
        return st.sampled_from(sorted(options))
    plain = [c for c in options if c != "A"]
    return st.one_of(
        st.just(["A"]),
        st.lists(st.sampled_from(plain), min_size=1, max_size=len(plain), unique=True),
    )


def _band(code: str, part: int, total: int) -> str:
    # docs/rules.md §2.1: "a ratio of exactly 10% is band A, exactly 20% band B, and so on".
    for option, upper in zip(
        "ABCD", (Decimal("0.1"), Decimal("0.2"), Decimal("0.4"), Decimal("0.6")), strict=True
    ):
        if part <= upper * total:
            return option
    return "E"


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    answers = {code: draw(_answer(code)) for code in QUESTIONS}
    scenes = {code: draw(st.integers(0, 4)) for code in SCENES}
    doc: dict[str, Any] = {"indicator_version": "2024", "answers": answers, "scenes": scenes}
    if draw(st.booleans()):
        total = draw(st.integers(0, 500))
        data = {"equipment_total": total}
        for question, field in (("Q2", "equipment_digital"), ("Q3", "equipment_networked")):
            if draw(st.booleans()):
                part = draw(st.integers(0, total))
                data[field] = part
                answers[question] = _band(question, part, total)
        doc["data"] = data
    return doc


def _score(doc: dict[str, Any]) -> scoring.Result:
    assert (
        scoring.validate_answers(
            doc["answers"], doc["scenes"], doc.get("data"), INDICATOR, complete=True
        )
        == []
    )
    return scoring.score(doc["answers"], doc["scenes"], doc.get("data"), INDICATOR)


def _gates_hold(level: int, total: Decimal, scenes: dict[str, int]) -> bool:
    min_score, min_scenes, min_constraint = GATES[level]
    rated = [s for s in SCENES if scenes[s] >= level]
    return (
        total >= min_score
        and len(rated) >= min_scenes
        and len([s for s in rated if s in CONSTRAINT_SCENES]) >= min_constraint
    )


@PROPERTY
@given(documents())
def test_total_is_the_sum_of_the_dimensions_and_of_the_table(doc):
    result = _score(doc)
    expected = reference_points(doc["answers"])
    assert result.question_points == expected
    assert result.total == sum(result.dimensions.values())
    for dimension, questions in DIMENSIONS.items():
        assert result.dimensions[dimension] == sum(expected[q] for q in questions)
    assert 0 <= result.total <= 100
    assert result.level == reference_level(result.total, doc["scenes"])


@PROPERTY
@given(documents())
def test_the_level_gates_hold_and_the_next_levels_do_not(doc):
    result = _score(doc)
    if result.level:
        assert _gates_hold(result.level, result.total, doc["scenes"])
    for level in range(result.level + 1, 5):
        assert not _gates_hold(level, result.total, doc["scenes"])
    assert (result.next_level is None) == (result.level == 4)


@PROPERTY
@given(documents(), st.data())
def test_ticking_another_box_never_lowers_the_total_or_the_level(doc, data):
    before = _score(doc)
    ticked = copy.deepcopy(doc)
    code = data.draw(
        st.sampled_from([q for q, (kind, _, _) in QUESTIONS.items() if kind == "multi"])
    )
    chosen = ticked["answers"][code]
    free = [c for c in QUESTIONS[code][2] if c != "A" and c not in chosen]
    if not free:
        return
    extra = data.draw(st.sampled_from(free))
    ticked["answers"][code] = [extra] if chosen == ["A"] else [*chosen, extra]
    after = _score(ticked)
    assert after.total > before.total
    assert after.level >= before.level


@PROPERTY
@given(documents(), st.sampled_from(SCENES))
def test_raising_a_scene_never_lowers_the_level(doc, scene):
    if doc["scenes"][scene] == 4:
        return
    before = _score(doc)
    raised = copy.deepcopy(doc)
    raised["scenes"][scene] += 1
    after = _score(raised)
    assert after.total == before.total
    assert after.level >= before.level
    assert after.scenes_at_or_above[raised["scenes"][scene]] == (
        before.scenes_at_or_above[raised["scenes"][scene]] + 1
    )


def _apply(doc: dict[str, Any], plan: tuple[scoring.PlanItem, ...]) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    # The counts are facts about the company; a plan that raises Q2/Q3 supposes new ones.
    changed.pop("data", None)
    for item in plan:
        if item.kind == "question":
            target = item.target.split(",")
            multi = QUESTIONS[item.code][0] == "multi"
            changed["answers"][item.code] = target if multi else target[0]
        else:
            changed["scenes"][item.code] = int(item.target)
    return changed


@PROPERTY
@given(documents())
def test_following_the_plan_reaches_the_next_level(doc):
    result = _score(doc)
    next_level = result.next_level
    if next_level is None:
        return
    plan = next_level.plan
    assert len(plan) == next_level.fewest_changes
    assert len({item.code for item in plan}) == len(plan)
    after = _score(_apply(doc, plan))
    assert after.level >= next_level.level


@PROPERTY
@given(documents())
def test_fewest_changes_cannot_be_beaten(doc):
    """Independently: fewer question changes cannot cover the points, fewer scene changes
    cannot meet both scene conditions."""
    result = _score(doc)
    next_level = result.next_level
    if next_level is None:
        return
    target = next_level.level
    min_score, min_scenes, min_constraint = GATES[target]
    short = max(Decimal(0), min_score - result.total)
    assert next_level.points_short == short
    headrooms = sorted(
        (max_points(q) - p for q, p in reference_points(doc["answers"]).items()), reverse=True
    )
    questions = next(k for k in range(16) if sum(headrooms[:k]) >= short)
    rated = [s for s in SCENES if doc["scenes"][s] >= target]
    scenes_short = max(0, min_scenes - len(rated))
    constraint_short = max(0, min_constraint - len([s for s in rated if s in CONSTRAINT_SCENES]))
    assert (next_level.scenes_short, next_level.constraint_scenes_short) == (
        scenes_short,
        constraint_short,
    )
    assert next_level.fewest_changes == questions + max(scenes_short, constraint_short)


@PROPERTY
@given(documents())
def test_evaluate_document_agrees_with_score(doc):
    result = scoring.evaluate_document(doc, INDICATORS)
    assert result == scoring.result_to_json(_score(doc))
    assert result["total"] == f"{Decimal(result['total']):.3f}"


@PROPERTY
@given(documents(), st.sampled_from(SCENES), st.sampled_from([5, -1, 2.5, "2", True, None]))
def test_a_bad_scene_rating_is_always_reported(doc, scene, value):
    doc["scenes"][scene] = value
    result = scoring.evaluate_document(doc, INDICATORS)
    assert result["valid"] is False
    assert [e["field"] for e in result["errors"]] == [scene]
    # drafts report it too (None is simply not answered yet)
    draft = scoring.validate_answers(doc["answers"], doc["scenes"], None, INDICATOR, complete=False)
    assert [e.field for e in draft] == ([] if value is None else [scene])
