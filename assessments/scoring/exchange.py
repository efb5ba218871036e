"""The answer document and result of docs/rules.md §3.1 (`score_answers`, the scoring API)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .engine import Result, result_of
from .indicator import Indicator, show_value
from .validation import FieldError, normalised, resolve, validate_answers


def _fmt(value: Decimal) -> str:
    return f"{value:.3f}"  # exact: points have at most three decimals


def _by_level(counts: Mapping[int, int]) -> dict[str, int]:
    return {str(level): count for level, count in counts.items()}


def result_to_json(result: Result) -> dict[str, Any]:
    """The §3.1 result: scores as strings with three decimals, counts keyed "1" … "4"."""
    nl = result.next_level
    return {
        "valid": True,
        "indicator_version": result.indicator_version,
        "total": _fmt(result.total),
        "dimensions": {code: _fmt(value) for code, value in result.dimensions.items()},
        "scenes_at_or_above": _by_level(result.scenes_at_or_above),
        "constraint_scenes_at_or_above": _by_level(result.constraint_scenes_at_or_above),
        "level": result.level,
        "next_level": None
        if nl is None
        else {
            "level": nl.level,
            "points_short": _fmt(nl.points_short),
            "scenes_short": nl.scenes_short,
            "constraint_scenes_short": nl.constraint_scenes_short,
            "fewest_changes": nl.fewest_changes,
        },
    }


def _invalid(errors: list[FieldError]) -> dict[str, Any]:
    return {"valid": False, "errors": [{"field": e.field, "message": e.message} for e in errors]}


def evaluate_document(document: Any, indicators: Mapping[str, Indicator]) -> dict[str, Any]:
    """One §3.1 answer document → the §3.1 result, or {"valid": false, "errors": [...]} naming
    every problem found.

    Top-level keys other than indicator_version, answers, scenes and data are ignored (§3.1 does
    not list the top level's keys; a batch may tag its documents). Inside answers, scenes and
    data, every code must be known and every question and scene present.
    """
    if not isinstance(document, Mapping):
        return _invalid([FieldError("document", "评测文档应为 JSON 对象")])
    version: Any = document.get("indicator_version")
    answers: Any = document.get("answers")
    scenes: Any = document.get("scenes")
    data: Any = document.get("data")
    indicator = indicators.get(version) if isinstance(version, str) else None
    if indicator is not None:
        resolved = resolve(answers, scenes, data, indicator)
        if resolved is not None:  # the common case: valid, no messages to write
            return result_to_json(result_of(answers, resolved, indicator, with_plan=False))

    errors: list[FieldError] = []
    if version is None:
        errors.append(FieldError("indicator_version", "缺少指标版本（indicator_version）"))
    elif not isinstance(version, str):
        message = f'指标版本应为字符串（如 "2024"），实际为 {show_value(version)}'
        errors.append(FieldError("indicator_version", message))
    elif indicator is None:
        known = "、".join(sorted(indicators)) or "无"
        message = f"未知的指标版本 {show_value(version)}，可用的版本：{known}"
        errors.append(FieldError("indicator_version", message))
    for key, name in (("answers", "答案"), ("scenes", "场景等级")):
        if document.get(key) is None:
            errors.append(FieldError(key, f"缺少{name}（{key}）"))
    if indicator is None:
        # Without an edition there are no codes to check against: report the shape only.
        for key, name in (("answers", "答案"), ("scenes", "场景等级"), ("data", "补充数据")):
            if document.get(key) is not None and not isinstance(document[key], Mapping):
                errors.append(FieldError(key, f"{name}（{key}）应为对象"))
        return _invalid(errors)
    found = validate_answers(
        answers if answers is not None else {},
        scenes if scenes is not None else {},
        data,
        indicator,
        complete=True,
    )
    # A missing "answers" (or "scenes") is one error above, not one per question (or scene).
    skip = set(indicator._questions if answers is None else ()) | set(
        indicator._scenes if scenes is None else ()
    )
    errors += [e for e in found if e.field not in skip]
    if errors:
        return _invalid(errors)
    answers, scenes, data = normalised(answers, scenes, data)
    resolved = resolve(answers, scenes, data, indicator)
    assert resolved is not None, "validated input must resolve"
    return result_to_json(result_of(answers, resolved, indicator, with_plan=False))
