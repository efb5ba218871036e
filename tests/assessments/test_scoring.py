"""Scoring rules of the 2024 edition (docs/rules.md §2, §3.1). Pure: no database."""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from typing import Any

import pytest

from assessments import scoring
from tests.assessments.documents import (
    CONSTRAINT_SCENES,
    DIMENSIONS,
    EXAMPLE_RESULT,
    GATES,
    QUESTIONS,
    SCENES,
    D,
    answers_with_total,
    document,
    example,
    highest_answers,
    lowest_answers,
    points,
    scenes_with,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def indicator() -> scoring.Indicator:
    return scoring.default_indicator()


@pytest.fixture(scope="module")
def indicators(indicator) -> dict[str, scoring.Indicator]:
    return {"2024": indicator}


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return scoring.load_definition_file(scoring.DATA_FILE)


def evaluate(doc: Any, indicator: scoring.Indicator) -> dict[str, Any]:
    return scoring.evaluate_document(doc, {"2024": indicator})


def errors_of(doc: Any, indicator: scoring.Indicator) -> dict[str, str]:
    result = evaluate(doc, indicator)
    assert result["valid"] is False, result
    assert set(result) == {"valid", "errors"}
    for error in result["errors"]:
        assert CJK.search(error["message"]), error  # a message a person can read
    return {e["field"]: e["message"] for e in result["errors"]}


# --- points ------------------------------------------------------------------------------------

EVERY_OPTION = [(q, o) for q, (_, _, options) in QUESTIONS.items() for o in options]


@pytest.mark.parametrize(("question", "option"), EVERY_OPTION)
def test_every_option_scores_its_points(question, option, indicator):
    answers = lowest_answers()
    answers[question] = [option] if QUESTIONS[question][0] == "multi" else option
    result = scoring.score(answers, dict.fromkeys(SCENES, 0), None, indicator)
    assert result.question_points[question] == points(question, option)
    assert result.total == points(question, option)
    dimension = next(d for d, qs in DIMENSIONS.items() if question in qs)
    assert result.dimensions[dimension] == points(question, option)


def test_the_data_file_matches_the_domain_table(indicator):
    assert [q.code for q in indicator.questions] == list(QUESTIONS)
    for q in indicator.questions:
        kind, maximum, options = QUESTIONS[q.code]
        assert (q.kind, q.max_points) == (kind, D(maximum))
        assert {o.code: o.points for o in q.options} == {c: D(p) for c, p in options.items()}
        assert [o.code for o in q.options if o.exclusive] == (["A"] if kind == "multi" else [])
    assert [s.code for s in indicator.scenes] == SCENES
    assert [s.code for s in indicator.scenes if s.constraint] == CONSTRAINT_SCENES
    assert {
        g.level: (g.min_score, g.min_scenes, g.min_constraint_scenes) for g in indicator.gates
    } == GATES
    assert {d.code: d.max_points for d in indicator.dimensions} == {
        "foundation": 50,
        "management": 30,
        "outcomes": 20,
    }
    assert indicator.level_names[0] == "未达一级"
    assert indicator.level_names[2] == "二级（规范级）"


def test_every_scene_has_its_own_descriptors_for_levels_1_to_4(indicator):
    seen = set()
    for scene in indicator.scenes:
        assert sorted(scene.descriptors) == [1, 2, 3, 4]
        for text in scene.descriptors.values():
            assert CJK.search(text)
            assert text not in seen, f"{scene.code} repeats another scene's descriptor"
            seen.add(text)


@pytest.mark.parametrize(
    ("question", "chosen", "expected"),
    [
        ("Q4", list("BCDEFGHIJKLMNO"), "10"),
        ("Q4", list("BCDEFGHIJKLMN"), "9.1"),
        ("Q4", ["O", "B"], "1.6"),
        ("Q1", ["B", "C", "D", "E"], "8"),
        ("Q6", ["E", "B", "C"], "3.75"),
        ("Q7", ["B", "C", "D", "E"], "5"),
        ("Q9", ["B", "C", "D", "E"], "7.5"),
        ("Q9", ["E", "C", "D"], "5.625"),
        ("Q10", ["B", "C", "D", "E", "F"], "7.5"),
    ],
)
def test_multi_questions_add_up_their_options(question, chosen, expected, indicator):
    answers = lowest_answers()
    answers[question] = chosen
    result = scoring.score(answers, dict.fromkeys(SCENES, 0), None, indicator)
    assert result.question_points[question] == D(expected)


def test_highest_answers_score_exactly_100(indicator):
    result = scoring.score(highest_answers(), dict.fromkeys(SCENES, 4), None, indicator)
    assert result.total == 100
    assert scoring.result_to_json(result)["total"] == "100.000"
    assert scoring.result_to_json(result)["dimensions"] == {
        "foundation": "50.000",
        "management": "30.000",
        "outcomes": "20.000",
    }


# --- the docs/rules.md example ----------------------------------------------------------------


def test_domain_example_gives_exactly_the_documented_result(indicator):
    assert evaluate(example(), indicator) == EXAMPLE_RESULT


def test_domain_example_result_serialises_as_documented(indicator):
    text = json.dumps(evaluate(example(), indicator), ensure_ascii=False)
    assert '"total": "44.975"' in text
    assert '"points_short": "15.025"' in text
    assert '"outcomes": "15.000"' in text


def test_domain_example_scored_directly(indicator):
    doc = example()
    result = scoring.score(doc["answers"], doc["scenes"], doc["data"], indicator)
    assert result.total == D("44.975")
    assert result.level == 2
    assert result.question_points["Q4"] == D("2.1")
    assert result.scenes_at_or_above == {1: 14, 2: 8, 3: 1, 4: 0}
    assert result.constraint_scenes_at_or_above == {1: 10, 2: 7, 3: 1, 4: 0}
    assert (result.indicator_version, result.revision) == ("2024", 1)
    assert scoring.result_to_json(result) == EXAMPLE_RESULT


def test_domain_example_plan_names_the_ten_changes(indicator):
    doc = example()
    plan = scoring.score(doc["answers"], doc["scenes"], None, indicator).next_level.plan
    assert [(p.code, p.current, p.target, p.gain) for p in plan[:3]] == [
        ("Q4", "F,G,N", "B,C,D,E,F,G,H,I,J,K,L,M,N,O", D("7.9")),
        ("Q11", "B", "E", D("5.625")),
        # Q5 ties with Q7 (headroom 5): the earlier question first. 1.5 points are still
        # missing after Q4 and Q11, so one step up (C → D, +2.5) is enough, not the top answer.
        ("Q5", "C", "D", D("2.5")),
    ]
    scenes = plan[3:]
    assert all(p.kind == "scene" and p.target == "3" and p.gain is None for p in scenes)
    # Four constraint scenes first, then the closest others; all are at 2, ties in order.
    assert [p.code for p in scenes] == ["S01", "S03", "S06", "S07", "S09", "S11", "S15"]
    assert len(plan) == EXAMPLE_RESULT["next_level"]["fewest_changes"]


def test_plan_ticks_only_the_fewest_options_that_cover_the_missing_points(indicator):
    """4.9 points short with Q4 at F,G,N: tick the 0.9 option and six 0.7 ones (5.1 points),
    not every one of the 11 options still unticked (7.9 points)."""
    doc = example()
    answers = lowest_answers()
    answers.update(Q1=["B", "C", "D", "E"], Q4=["F", "G", "N"], Q5="C")
    result = scoring.score(answers, doc["scenes"], None, indicator)
    assert result.total == D("15.1") and result.level == 0
    nxt = result.next_level
    assert nxt.level == 1 and nxt.points_short == D("4.9") and nxt.fewest_changes == 1
    (item,) = nxt.plan
    assert (item.code, item.current, item.gain) == ("Q4", "F,G,N", D("5.1"))
    assert item.to_tick == ("B", "C", "D", "E", "H", "I", "O")
    assert item.target == "B,C,D,E,F,G,H,I,N,O" and item.to_untick == ()
    after = scoring.score({**answers, "Q4": item.target.split(",")}, doc["scenes"], None, indicator)
    assert after.level == 1


def test_plan_clears_the_exclusive_option_of_a_multi(indicator):
    doc = example()
    answers = lowest_answers()
    answers.update(Q1=["B", "C", "D", "E"], Q5="E", Q2="B")  # 19.5: Q4 ["A"] has most headroom
    nxt = scoring.score(answers, doc["scenes"], None, indicator).next_level
    (item,) = nxt.plan
    assert (item.code, item.current, item.to_untick) == ("Q4", "A", ("A",))
    assert item.to_tick == ("O",) and item.gain == D("0.9")  # one option; the most valuable


# --- level gates -------------------------------------------------------------------------------


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_exactly_at_every_gate_reaches_the_level(level, indicator):
    min_score, min_scenes, min_constraint = GATES[level]
    scenes = scenes_with(level, min_scenes, min_constraint, rest=level - 1)
    result = evaluate(document(answers_with_total(min_score), scenes), indicator)
    assert result["total"] == f"{min_score}.000"
    assert result["level"] == level


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_0_025_points_below_a_gate_is_the_level_below(level, indicator):
    min_score, min_scenes, min_constraint = GATES[level]
    scenes = scenes_with(level, min_scenes, min_constraint, rest=level - 1)
    result = evaluate(document(answers_with_total(min_score - D("0.025")), scenes), indicator)
    assert result["total"] == f"{min_score - D('0.025')}"
    assert result["level"] == level - 1
    assert result["next_level"]["points_short"] == "0.025"
    assert result["next_level"]["fewest_changes"] == 1


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_one_scene_too_few_is_the_level_below(level, indicator):
    min_score, min_scenes, min_constraint = GATES[level]
    scenes = scenes_with(level, min_scenes - 1, min_constraint, rest=level - 1)
    result = evaluate(document(answers_with_total(min_score), scenes), indicator)
    assert result["scenes_at_or_above"][str(level)] == min_scenes - 1
    assert result["level"] == level - 1
    assert result["next_level"]["scenes_short"] == 1
    assert result["next_level"]["constraint_scenes_short"] == 0


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_one_constraint_scene_too_few_is_the_level_below(level, indicator):
    min_score, min_scenes, min_constraint = GATES[level]
    # As many scenes as the gate asks for, but one constraint scene replaced by a guidance one.
    scenes = scenes_with(level, min_scenes, min_constraint - 1, rest=level - 1)
    result = evaluate(document(answers_with_total(min_score), scenes), indicator)
    assert result["scenes_at_or_above"][str(level)] == min_scenes
    assert result["constraint_scenes_at_or_above"][str(level)] == min_constraint - 1
    assert result["level"] == level - 1
    assert result["next_level"]["constraint_scenes_short"] == 1
    assert result["next_level"]["fewest_changes"] == 1


def test_level_1_counts_scenes_rated_1_or_more(indicator):
    scenes = scenes_with(1, 3, 3) | dict.fromkeys(["S02", "S04"], 3) | {"S05": 4}
    result = evaluate(document(answers_with_total("20"), scenes), indicator)
    assert result["scenes_at_or_above"]["1"] == 6
    assert result["level"] == 1


@pytest.mark.parametrize(
    ("total", "scenes"),
    [
        ("0", dict.fromkeys(SCENES, 4)),  # every scene at 4, no points
        ("19.975", dict.fromkeys(SCENES, 4)),
        ("100", dict.fromkeys(SCENES, 0)),  # full marks, no scenes
        ("100", scenes_with(4, 5, 3)),  # five scenes
        ("100", scenes_with(4, 6, 2)),  # two constraint scenes
    ],
)
def test_below_level_1(total, scenes, indicator):
    result = evaluate(document(answers_with_total(total), scenes), indicator)
    assert result["level"] == 0
    assert result["next_level"]["level"] == 1


def test_next_level_from_nothing(indicator):
    result = evaluate(document(), indicator)
    assert result["total"] == "0.000"
    assert result["scenes_at_or_above"] == {"1": 0, "2": 0, "3": 0, "4": 0}
    # Q4 and Q5 (10 each) cover 20 points; six scenes, three of them constraint scenes.
    assert result["next_level"] == {
        "level": 1,
        "points_short": "20.000",
        "scenes_short": 6,
        "constraint_scenes_short": 3,
        "fewest_changes": 8,
    }


def test_next_level_is_null_at_level_4(indicator):
    result = evaluate(document(highest_answers(), dict.fromkeys(SCENES, 4)), indicator)
    assert result["level"] == 4
    assert result["next_level"] is None
    assert json.dumps(result).endswith('"next_level": null}')
    direct = scoring.score(highest_answers(), dict.fromkeys(SCENES, 4), None, indicator)
    assert direct.next_level is None


def test_points_already_enough_cost_no_question_changes(indicator):
    result = evaluate(document(highest_answers(), scenes_with(4, 8, 5, rest=3)), indicator)
    assert result["level"] == 3
    assert result["next_level"] == {
        "level": 4,
        "points_short": "0.000",
        "scenes_short": 2,
        "constraint_scenes_short": 1,
        "fewest_changes": 2,
    }


def test_level_for_agrees_with_the_gates(indicator):
    assert scoring.level_for(D("44.975"), example()["scenes"], indicator) == 2
    assert scoring.level_for(D("40"), scenes_with(2, 6, 3), indicator) == 2
    assert scoring.level_for(D("39.999"), scenes_with(2, 6, 3), indicator) == 1
    assert scoring.level_for(D("100"), scenes_with(4, 10, 5), indicator) == 3
    assert scoring.level_for(D("100"), {}, indicator) == 0


# --- invalid documents -------------------------------------------------------------------------


def with_answer(question: str, value: Any) -> dict[str, Any]:
    doc = example()
    doc["answers"][question] = value
    return doc


def with_scene(scene: str, value: Any) -> dict[str, Any]:
    doc = example()
    doc["scenes"][scene] = value
    return doc


def without(part: str, code: str) -> dict[str, Any]:
    doc = example()
    del doc[part][code]
    return doc


def with_extra(part: str, code: str, value: Any) -> dict[str, Any]:
    doc = example()
    doc[part][code] = value
    return doc


INVALID = [
    ("missing question", without("answers", "Q5"), "Q5", "缺少第 Q5 题“信息系统”的答案"),
    ("unknown question", with_extra("answers", "Q16", "A"), "Q16", "未知的题目代码 Q16"),
    ("unknown single option", with_answer("Q5", "F"), "Q5", "没有选项 F，可选：A、B、C、D、E"),
    ("unknown multi option", with_answer("Q1", ["B", "Z"]), "Q1", "没有选项 Z"),
    ("lower-case option", with_answer("Q2", "c"), "Q2", "没有选项 c"),
    ("A with others", with_answer("Q7", ["A", "B"]), "Q7", "选项 A“无”不能与其他选项同时选择"),
    # Q4 has 14 options: its answers are checked option by option rather than by table.
    ("A with others, Q4", with_answer("Q4", ["F", "A"]), "Q4", "选项 A“无”不能与其他选项同时选择"),
    ("duplicates, Q4", with_answer("Q4", ["F", "G", "F"]), "Q4", "选项 F 重复"),
    ("unknown option, Q4", with_answer("Q4", ["F", "P"]), "Q4", "没有选项 P"),
    ("A twice, Q4", with_answer("Q4", ["A", "A"]), "Q4", "选项 A 重复"),
    ("single as list", with_answer("Q2", ["C"]), "Q2", "是单选题"),
    ("single as number", with_answer("Q2", 3), "Q2", "应为一个选项代码"),
    ("multi as string", with_answer("Q1", "B"), "Q1", "是多选题"),
    ("multi empty", with_answer("Q6", []), "Q6", "至少要选择一项"),
    ("multi duplicates", with_answer("Q9", ["B", "C", "B"]), "Q9", "选项 B 重复"),
    ("multi nested list", with_answer("Q9", [["B"]]), "Q9", '没有选项 ["B"]'),
    ("question null", with_answer("Q3", None), "Q3", "缺少第 Q3 题"),
    ("missing scene", without("scenes", "S07"), "S07", "缺少场景 S07“质量管理”的等级"),
    ("unknown scene", with_extra("scenes", "S17", 1), "S17", "未知的场景代码 S17"),
    ("scene 5", with_scene("S01", 5), "S01", "应在 0-4 之间，实际为 5"),
    ("scene -1", with_scene("S01", -1), "S01", "应在 0-4 之间，实际为 -1"),
    ("scene 2.5", with_scene("S01", 2.5), "S01", "应为 0-4 的整数，实际为 2.5"),
    ("scene string", with_scene("S01", "2"), "S01", '应为 0-4 的整数，实际为 "2"'),
    ("scene boolean", with_scene("S01", True), "S01", "应为 0-4 的整数，实际为 true"),
    ("scene null", with_scene("S01", None), "S01", "缺少场景 S01"),
    ("unknown data field", with_extra("data", "equipment", 3), "equipment", "未知的补充数据项"),
    ("count fraction", with_extra("data", "equipment_total", 120.5), "equipment_total", "整数"),
    (
        "count negative",
        with_extra("data", "equipment_digital", -1),
        "equipment_digital",
        "不小于 0",
    ),
    ("count string", with_extra("data", "equipment_total", "120"), "equipment_total", "整数"),
    ("count boolean", with_extra("data", "equipment_total", True), "equipment_total", "整数"),
    (
        "part above total",
        with_extra("data", "equipment_digital", 121),
        "equipment_digital",
        "“数字化生产设备数”（121）不能大于“生产设备总数（台/套）”（120）",
    ),
    (
        "investment negative",
        with_extra("data", "investment_wan_per_year", -5),
        "investment_wan_per_year",
        "不小于 0 的数值",
    ),
    (
        "investment text",
        with_extra("data", "investment_wan_per_year", "很多"),
        "investment_wan_per_year",
        "不小于 0 的数值",
    ),
]


@pytest.mark.parametrize(("case", "doc", "field", "message"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_documents_name_the_field_in_chinese(case, doc, field, message, indicator):
    errors = errors_of(doc, indicator)
    assert list(errors) == [field]
    assert message in errors[field]


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("2022", '未知的指标版本 "2022"，可用的版本：2024'),
        (2024, "指标版本应为字符串"),
        (None, "缺少指标版本"),
    ],
)
def test_indicator_version_must_be_known(version, message, indicator):
    doc = example()
    doc["indicator_version"] = version
    errors = errors_of(doc, indicator)
    assert message in errors.pop("indicator_version")
    assert errors == {}  # without an edition, the answers cannot be checked


@pytest.mark.parametrize("doc", [[], "文档", 42, None])
def test_a_document_must_be_an_object(doc, indicator):
    assert errors_of(doc, indicator) == {"document": "评测文档应为 JSON 对象"}


def test_missing_answers_is_one_error_not_fifteen(indicator):
    doc = example()
    del doc["answers"]
    assert errors_of(doc, indicator) == {"answers": "缺少答案（answers）"}


@pytest.mark.parametrize("part", ["answers", "scenes", "data"])
def test_parts_must_be_objects(part, indicator):
    doc = example()
    doc[part] = [1, 2]
    errors = errors_of(doc, indicator)
    assert list(errors) == [part]
    assert "应为对象" in errors[part]


def test_every_problem_is_named_at_once(indicator):
    doc = example()
    doc["answers"]["Q1"] = ["A", "C"]
    doc["answers"]["Q2"] = ["C"]
    del doc["answers"]["Q15"]
    doc["scenes"]["S04"] = 7
    doc["scenes"]["S99"] = 1
    doc["data"]["equipment_digital"] = 200
    errors = errors_of(doc, indicator)
    assert list(errors) == ["Q1", "Q2", "Q15", "S04", "S99", "equipment_digital"]


def test_other_top_level_keys_are_ignored(indicator):
    doc = example()
    doc["id"] = "企业-17"
    assert evaluate(doc, indicator) == EXAMPLE_RESULT


def test_data_is_optional_and_may_be_null(indicator):
    doc = example()
    del doc["data"]
    assert evaluate(doc, indicator) == EXAMPLE_RESULT
    doc["data"] = None
    assert evaluate(doc, indicator) == EXAMPLE_RESULT


def test_whole_numbers_written_with_a_decimal_point_are_integers(indicator):
    # JSON does not distinguish 2 from 2.0; neither do we (but 2.5 and true are rejected).
    doc = example()
    doc["scenes"]["S13"] = 3.0
    doc["data"] = {"equipment_total": 120.0, "equipment_digital": 30.0}
    assert evaluate(doc, indicator) == EXAMPLE_RESULT


def test_validate_answers_on_a_draft_checks_only_what_is_there(indicator):
    assert scoring.validate_answers({}, {}, None, indicator, complete=False) == []
    partial = {"Q1": ["B"], "Q8": "C"}
    assert scoring.validate_answers(partial, {"S01": 2}, None, indicator, complete=False) == []
    errors = scoring.validate_answers(
        {"Q1": ["A", "B"]}, {"S01": 9}, None, indicator, complete=False
    )
    assert [e.field for e in errors] == ["Q1", "S01"]
    complete_errors = scoring.validate_answers(partial, {}, None, indicator, complete=True)
    assert len(complete_errors) == 15 - 2 + 16


def test_drafts_report_data_contradictions_as_soon_as_both_are_there(indicator):
    data = {"equipment_total": 100, "equipment_networked": 50}
    assert scoring.validate_answers({}, {}, data, indicator, complete=False) == []
    errors = scoring.validate_answers({"Q3": "A"}, {}, data, indicator, complete=False)
    assert [e.field for e in errors] == ["Q3"]


def test_missing_items_and_answered_count(indicator):
    answers = {"Q1": ["B"], "Q2": None, "Q4": [], "Q5": "Z"}
    missing = scoring.missing_items(answers, {"S16": 0}, indicator)
    assert missing[:3] == ["Q2", "Q3", "Q4"]
    assert "Q5" not in missing  # answered, even if wrongly: validate_answers says so
    assert missing[-1] == "S15"
    assert "S16" not in missing
    assert len(missing) == 31 - 3
    assert scoring.answered_count(answers, {"S16": 0}, indicator) == 3
    doc = example()
    assert scoring.answered_count(doc["answers"], doc["scenes"], indicator) == 31
    assert scoring.missing_items(doc["answers"], doc["scenes"], indicator) == []


def test_score_refuses_invalid_answers(indicator):
    doc = with_answer("Q1", ["A", "B"])
    with pytest.raises(ValueError, match="Q1") as caught:
        scoring.score(doc["answers"], doc["scenes"], doc["data"], indicator)
    assert isinstance(caught.value, scoring.InvalidAnswersError)
    assert [e.field for e in caught.value.errors] == ["Q1"]
    doc = without("scenes", "S02")
    with pytest.raises(scoring.InvalidAnswersError, match="缺少场景 S02"):
        scoring.score(doc["answers"], doc["scenes"], doc["data"], indicator)


def test_score_accepts_other_mappings_and_tuples(indicator):
    from types import MappingProxyType

    doc = example()
    answers = {k: tuple(v) if isinstance(v, list) else v for k, v in doc["answers"].items()}
    result = scoring.score(
        MappingProxyType(answers), MappingProxyType(doc["scenes"]), None, indicator
    )
    assert scoring.result_to_json(result) == EXAMPLE_RESULT


# --- data cross-checks -------------------------------------------------------------------------

BANDS = [
    (0, 0, "A"),  # no equipment at all: ratio 0
    (0, 120, "A"),
    (12, 120, "A"),  # exactly 10%
    (13, 120, "B"),
    (24, 120, "B"),  # exactly 20%
    (25, 120, "C"),
    (48, 120, "C"),  # exactly 40%
    (49, 120, "D"),
    (72, 120, "D"),  # exactly 60%
    (73, 120, "E"),
    (120, 120, "E"),
    (1, 3, "C"),  # 33.3…%
    (1, 1, "E"),
]


@pytest.mark.parametrize(
    ("question", "part_field"), [("Q2", "equipment_digital"), ("Q3", "equipment_networked")]
)
@pytest.mark.parametrize(("part", "total", "band"), BANDS)
def test_counts_decide_the_band(question, part_field, part, total, band, indicator):
    data = {"equipment_total": total, part_field: part}
    for option in "ABCDE":
        doc = document(lowest_answers() | {question: option}, data=data)
        result = evaluate(doc, indicator)
        if option == band:
            assert result["valid"], result
        else:
            errors = errors_of(doc, indicator)
            assert list(errors) == [question]
            assert f"选择了 {option}" in errors[question]
            assert f"{part} ÷" in errors[question]
            assert f"{total} =" in errors[question]
            assert f"应选 {band}" in errors[question]


def test_part_above_total_is_an_error_whatever_band_is_chosen(indicator):
    data = {"equipment_total": 10, "equipment_networked": 11}
    for option in "ABCDE":
        doc = document(lowest_answers() | {"Q3": option}, data=data)
        assert errors_of(doc, indicator) == {
            "equipment_networked": "“联网生产设备数”（11）不能大于“生产设备总数（台/套）”（10）"
        }


def test_band_error_message_in_full(indicator):
    doc = document(
        lowest_answers() | {"Q2": "C"}, data={"equipment_total": 120, "equipment_digital": 13}
    )
    assert errors_of(doc, indicator) == {
        "Q2": "“生产设备数字化率”选择了 C（20%以上-40%（含40%）），但数字化生产设备数 13 ÷ "
        "生产设备总数（台/套） 120 = 10.8%，应选 B（10%以上-20%（含20%））"
    }


def test_no_cross_check_without_both_counts(indicator):
    for data in ({"equipment_digital": 5}, {"equipment_total": 5}, {}):
        doc = document(lowest_answers() | {"Q2": "E"}, data=data)
        assert evaluate(doc, indicator)["valid"]


def test_investment_is_informational(indicator):
    doc = example()
    doc["data"]["investment_wan_per_year"] = 35.5
    assert evaluate(doc, indicator) == EXAMPLE_RESULT


# --- formatting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "text"),
    [
        ("0", "0.000"),
        ("1.875", "1.875"),
        ("7.5", "7.500"),
        ("59.975", "59.975"),
        ("100", "100.000"),
    ],
)
def test_scores_are_written_with_exactly_three_decimals(total, text, indicator):
    result = evaluate(document(answers_with_total(total)), indicator)
    assert result["total"] == text
    for value in result["dimensions"].values():
        assert re.fullmatch(r"\d+\.\d{3}", value)
    assert re.fullmatch(r"\d+\.\d{3}", result["next_level"]["points_short"])


# --- definitions -------------------------------------------------------------------------------


def mutated(definition: dict[str, Any], change) -> dict[str, Any]:
    copied = copy.deepcopy(definition)
    change(copied)
    return copied


def question_of(definition: dict[str, Any], code: str) -> dict[str, Any]:
    return next(q for q in definition["questions"] if q["code"] == code)


def gate_of(definition: dict[str, Any], level: int) -> dict[str, Any]:
    return next(g for g in definition["gates"] if g["level"] == level)


BROKEN = [
    (
        "option above max",
        lambda d: question_of(d, "Q2")["options"][4].update(points="7"),
        "题目 Q2 选项 E 的分值 7 超过了该题满分 6",
    ),
    (
        "gates not rising",
        lambda d: gate_of(d, 3).update(min_score="85"),
        "等级门槛应随等级递增：4 级的总分要求 80 低于 3 级的 85",
    ),
    (
        "gate scenes not rising",
        lambda d: gate_of(d, 2).update(min_scenes=9),
        "3 级的场景数要求 8 低于 2 级的 9",
    ),
    (
        "gate level missing",
        lambda d: d["gates"].pop(0),  # no level 4 any more: its descriptors are now extra
        "场景 S01 的 descriptors 应恰好包含等级 1、2、3，实际为 1、2、3、4",
    ),
    (
        "gate level twice",
        lambda d: gate_of(d, 1).update(level=2),
        "等级门槛应恰好覆盖 1 到 4 级各一次",
    ),
    (
        "more constraint scenes than exist",
        lambda d: [s.update(constraint=False) for s in d["scenes"] if s["code"] <= "S08"],
        "4 级门槛要求 6 个约束性场景，但只有 5 个约束性场景",
    ),
    (
        "single max not the top option",
        lambda d: question_of(d, "Q5").update(max_points="12"),
        "满分 12 应等于最高选项分值 10",
    ),
    (
        "multi options below max",
        lambda d: question_of(d, "Q4")["options"][-1].update(points="0.8"),
        "全部选项分值之和 9.9 达不到满分 10",
    ),
    (
        "dimension max",
        lambda d: d["dimensions"][2].update(max="25"),
        "维度 outcomes 的满分为 25，但其题目满分之和为 20",
    ),
    (
        "points as a JSON number",
        lambda d: question_of(d, "Q9")["options"][1].update(points=1.875),
        "应写成字符串形式的小数",
    ),
    (
        "four decimals",
        lambda d: question_of(d, "Q9")["options"][1].update(points="1.8751"),
        "最多三位小数",
    ),
    (
        "bands not rising",
        lambda d: question_of(d, "Q2")["options"][2].update(band="0.15"),
        "按选项顺序严格递增",
    ),
    (
        "duplicate question",
        lambda d: question_of(d, "Q15").update(code="Q14"),
        "题目代码 Q14 重复",
    ),
    ("duplicate scene", lambda d: d["scenes"][1].update(code="S01"), "场景代码 S01 重复"),
    (
        "unknown dimension",
        lambda d: question_of(d, "Q12").update(dimension="impact"),
        "属于未知的维度 impact",
    ),
    (
        "exclusive option on a single question",
        lambda d: question_of(d, "Q12")["options"][0].update(exclusive=True),
        "只有多选题的“无”选项可以排他",
    ),
    (
        "scene descriptor missing",
        lambda d: d["scenes"][4]["descriptors"].pop("4"),
        "场景 S05 的 descriptors 应恰好包含等级 1、2、3、4",
    ),
    (
        "data check on an unknown field",
        lambda d: question_of(d, "Q3")["data_check"].update(part="equipment_online"),
        "补充数据项 equipment_online 未在 data_fields 中定义",
    ),
    ("no questions", lambda d: d.update(questions=[]), "questions 不能为空"),
]


@pytest.mark.parametrize(("case", "change", "message"), BROKEN, ids=[c[0] for c in BROKEN])
def test_broken_definitions_are_rejected_with_the_reason(case, change, message, definition):
    with pytest.raises(scoring.DefinitionError) as caught:
        scoring.indicator_from_definition(mutated(definition, change))
    assert message in str(caught.value)


def test_revision_must_be_a_positive_integer(definition):
    assert scoring.indicator_from_definition(definition, revision=3).revision == 3
    with pytest.raises(scoring.DefinitionError, match="修订号"):
        scoring.indicator_from_definition(definition, revision=0)


def test_a_corrected_constraint_flag_changes_the_counts(definition):
    # One source lists S12 as a guidance scene: the flag is data, not code.
    corrected = mutated(
        definition,
        lambda d: next(s for s in d["scenes"] if s["code"] == "S12").update(constraint=False),
    )
    indicator = scoring.indicator_from_definition(corrected, revision=2)
    doc = example()
    result = scoring.score(doc["answers"], doc["scenes"], doc["data"], indicator)
    assert result.constraint_scenes_at_or_above == {1: 9, 2: 7, 3: 1, 4: 0}
    assert result.revision == 2


def test_a_corrected_point_value_changes_the_score(definition):
    corrected = mutated(
        definition,
        lambda d: question_of(d, "Q12")["options"][1].update(points="3"),
    )
    indicator = scoring.indicator_from_definition(corrected)
    doc = example()
    result = scoring.evaluate_document(doc, {"2024": indicator})
    assert result["total"] == "44.475"  # Q12 B: 3.5 → 3
    assert result["dimensions"]["outcomes"] == "14.500"


def test_a_multi_whose_options_exceed_its_maximum_is_capped(definition):
    corrected = mutated(definition, lambda d: question_of(d, "Q1")["options"][1].update(points="3"))
    indicator = scoring.indicator_from_definition(corrected)
    answers = lowest_answers() | {"Q1": ["B", "C", "D", "E"]}
    result = scoring.score(answers, dict.fromkeys(SCENES, 0), None, indicator)
    assert result.question_points["Q1"] == 8
    answers["Q1"] = ["B", "C"]
    assert scoring.score(answers, dict.fromkeys(SCENES, 0), None, indicator).total == 5


def test_load_definition_file_rejects_what_is_not_a_json_object(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(scoring.DefinitionError, match="应为 JSON 对象"):
        scoring.load_definition_file(bad)
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(scoring.DefinitionError, match="不是有效的 JSON"):
        scoring.load_definition_file(bad)


def test_indicator_lookups(indicator):
    assert indicator.question("Q11").data_field == "investment_wan_per_year"
    assert indicator.question("Q11").comment
    assert indicator.question("Q2").data_part == "equipment_digital"
    assert indicator.scene("S12").name == "仓储物流"
    assert indicator.gate(2).min_score == 40
    assert indicator.max_level == 4
    assert indicator.max_total == 100
    assert [f.kind for f in indicator.data_fields] == ["count", "count", "count", "amount"]
    with pytest.raises(KeyError):
        indicator.question("Q16")


def test_decimal_points_never_pass_through_float(indicator):
    for q in indicator.questions:
        for o in q.options:
            assert isinstance(o.points, Decimal)
    result = scoring.score(answers_with_total("59.975"), dict.fromkeys(SCENES, 0), None, indicator)
    assert isinstance(result.total, Decimal)
    assert str(result.total) == "59.975"
