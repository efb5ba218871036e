"""Answers, scene ratings and data → field errors with Chinese messages (docs/rules.md §2.1, §3.1).

Two paths. `resolve` is the hot one: it only answers "is this a valid complete document?" while
it looks up the points, and gives up (None) at the first oddity. The thorough path names every
problem; valid documents never pay for it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from .indicator import ZERO, Indicator, Option, Question, show_value

_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str  # a question, scene or data field code, or answers / scenes / data / …
    message: str


def as_whole(value: Any) -> int | None:
    """An integer, 2.0 included (JSON does not tell 2 from 2.0); never a boolean."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


# --- the thorough path -------------------------------------------------------------------------


def _question_errors(
    answers: Mapping[str, Any], ind: Indicator, complete: bool, errors: list[FieldError]
) -> None:
    for q in ind.questions:
        value = answers.get(q.code)
        if value is None:
            if complete:
                errors.append(FieldError(q.code, f"缺少第 {q.code} 题“{q.title}”的答案"))
            continue
        message = _answer_error(q, value)
        if message:
            errors.append(FieldError(q.code, message))
    for code in answers:
        if code not in ind._questions:
            errors.append(FieldError(str(code), f"未知的题目代码 {code}"))


def _code_text(value: Any) -> str:
    return value if isinstance(value, str) else show_value(value)


def _answer_error(q: Question, value: Any) -> str | None:
    codes = [o.code for o in q.options]
    choices = "、".join(codes)
    if q.kind == "single":
        if isinstance(value, list | tuple):
            return f'“{q.title}”是单选题，只能选一个选项（如 "{codes[-1]}"），不能填列表'
        if not isinstance(value, str):
            return f"“{q.title}”的答案应为一个选项代码（{choices}），实际为 {show_value(value)}"
        if value not in q.option_codes:
            return f"“{q.title}”没有选项 {value}，可选：{choices}"
        return None
    if not isinstance(value, list | tuple):
        return (
            f'“{q.title}”是多选题，答案应为选项代码的列表（如 ["{codes[-1]}"]），'
            f"实际为 {show_value(value)}"
        )
    if not value:
        exclusive = q.exclusive_option
        hint = f"；都不具备时请选 {exclusive.code}“{exclusive.label}”" if exclusive else ""
        return f"“{q.title}”至少要选择一项{hint}"
    problems = []
    unknown = [v for v in value if not isinstance(v, str) or v not in q.option_codes]
    if unknown:
        listed = "、".join(_code_text(v) for v in unknown)
        problems.append(f"没有选项 {listed}，可选：{choices}")
    texts = [v for v in value if isinstance(v, str)]
    duplicates = [c for c in codes if texts.count(c) > 1]
    if duplicates:
        problems.append(f"选项 {'、'.join(duplicates)} 重复")
    exclusive = q.exclusive_option
    if exclusive is not None and exclusive.code in texts and len(set(texts)) > 1:
        problems.append(f"选项 {exclusive.code}“{exclusive.label}”不能与其他选项同时选择")
    return f"“{q.title}”" + "；".join(problems) if problems else None


def _scene_errors(
    scenes: Mapping[str, Any], ind: Indicator, complete: bool, errors: list[FieldError]
) -> None:
    top = ind.max_level
    for s in ind.scenes:
        value = scenes.get(s.code)
        if value is None:
            if complete:
                errors.append(FieldError(s.code, f"缺少场景 {s.code}“{s.name}”的等级"))
            continue
        level = as_whole(value)
        if level is None:
            errors.append(
                FieldError(
                    s.code, f"场景“{s.name}”的等级应为 0-{top} 的整数，实际为 {show_value(value)}"
                )
            )
        elif not 0 <= level <= top:
            errors.append(
                FieldError(s.code, f"场景“{s.name}”的等级应在 0-{top} 之间，实际为 {level}")
            )
    for code in scenes:
        if code not in ind._scenes:
            errors.append(FieldError(str(code), f"未知的场景代码 {code}"))


def data_errors(
    answers: Mapping[str, Any], data: Mapping[str, Any], ind: Indicator, errors: list[FieldError]
) -> None:
    """Data fields: known codes, counts whole and ≥ 0, part ≤ total, ratio band = chosen band."""
    counts: dict[str, int] = {}
    for code, value in data.items():
        spec = ind._data_fields.get(code)
        if spec is None:
            errors.append(FieldError(str(code), f"未知的补充数据项 {code}"))
        elif value is None:
            continue
        elif spec.kind == "count":
            whole = as_whole(value)
            if whole is None or whole < 0:
                message = f"“{spec.label}”应为不小于 0 的整数，实际为 {show_value(value)}"
                errors.append(FieldError(code, message))
            else:
                counts[code] = whole
        elif (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            message = f"“{spec.label}”应为不小于 0 的数值，实际为 {show_value(value)}"
            errors.append(FieldError(code, message))
    for q in ind.questions:
        if q.data_part is None or q.data_total is None:
            continue
        part, total = counts.get(q.data_part), counts.get(q.data_total)
        if part is None or total is None:
            continue
        part_label = ind._data_fields[q.data_part].label
        total_label = ind._data_fields[q.data_total].label
        if part > total:
            message = f"“{part_label}”（{part}）不能大于“{total_label}”（{total}）"
            errors.append(FieldError(q.data_part, message))
            continue
        chosen = answers.get(q.code)
        if not isinstance(chosen, str) or chosen not in q.option_codes:
            continue  # no band chosen (yet), or an invalid one reported elsewhere
        expected = band_option(q, part, total)
        if expected.code != chosen:
            picked = next(o for o in q.options if o.code == chosen)
            percent = ZERO if total == 0 else Decimal(part) * _HUNDRED / Decimal(total)
            errors.append(
                FieldError(
                    q.code,
                    f"“{q.title}”选择了 {chosen}（{picked.label}），但{part_label} {part} ÷ "
                    f"{total_label} {total} = {percent:.1f}%，"
                    f"应选 {expected.code}（{expected.label}）",
                )
            )


def band_option(q: Question, part: int, total: int) -> Option:
    """The option whose band holds part / total: the first with ratio ≤ its upper bound."""
    for option in q.options:
        # part / total ≤ upper, without dividing; total 0 (so part 0) is ratio 0, band A.
        if option.band_upper is not None and part <= option.band_upper * total:
            return option
    return q.options[-1]


def validate_answers(
    answers: Mapping[str, Any],
    scenes: Mapping[str, Any],
    data: Mapping[str, Any] | None,
    indicator: Indicator,
    *,
    complete: bool,
) -> list[FieldError]:
    """Every problem with these answers, scene ratings and data, in the indicator's order.

    `complete=False` (drafts) checks only what is there; `complete=True` also reports every
    missing question and scene. A None value counts as not answered.
    """
    if complete and resolve(answers, scenes, data, indicator) is not None:
        return []
    errors: list[FieldError] = []
    if isinstance(answers, Mapping):
        _question_errors(answers, indicator, complete, errors)
    else:
        errors.append(FieldError("answers", "答案（answers）应为对象：键为题目代码，值为所选选项"))
    if isinstance(scenes, Mapping):
        _scene_errors(scenes, indicator, complete, errors)
    else:
        message = f"场景等级（scenes）应为对象：键为场景代码，值为 0-{indicator.max_level} 的整数"
        errors.append(FieldError("scenes", message))
    if isinstance(data, Mapping):
        data_errors(answers if isinstance(answers, Mapping) else {}, data, indicator, errors)
    elif data is not None:
        errors.append(FieldError("data", "补充数据（data）应为对象：键为数据项代码，值为数值"))
    return errors


def _is_answered(value: Any) -> bool:
    return value is not None and value != []


def missing_items(
    answers: Mapping[str, Any], scenes: Mapping[str, Any], indicator: Indicator
) -> list[str]:
    """Codes not answered yet (absent, None or an empty list): questions first, then scenes."""
    answers = answers if isinstance(answers, Mapping) else {}
    scenes = scenes if isinstance(scenes, Mapping) else {}
    missing = [q.code for q in indicator.questions if not _is_answered(answers.get(q.code))]
    return missing + [s.code for s in indicator.scenes if not _is_answered(scenes.get(s.code))]


def answered_count(
    answers: Mapping[str, Any], scenes: Mapping[str, Any], indicator: Indicator
) -> int:
    """How many questions and scenes have an answer (the x of "x / 31"), valid or not."""
    total = len(indicator.questions) + len(indicator.scenes)
    return total - len(missing_items(answers, scenes, indicator))


def normalised(
    answers: Mapping[str, Any], scenes: Mapping[str, Any], data: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """Validated input as the hot path expects it: plain dicts and lists, no None entries,
    whole numbers as int."""
    clean_answers = {k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()}
    clean_scenes = {k: as_whole(v) for k, v in scenes.items()}
    clean_data = None
    if data is not None:
        clean_data = {
            k: as_whole(v) if isinstance(v, float) and v.is_integer() else v
            for k, v in data.items()
            if v is not None
        }
    return (
        {k: v for k, v in clean_answers.items() if v is not None},
        {k: v for k, v in clean_scenes.items() if v is not None},
        clean_data,
    )


# --- the hot path ------------------------------------------------------------------------------


class Resolved(NamedTuple):
    points: list[Decimal]  # per question, in question order
    dimensions: list[Decimal]  # per dimension, in dimension order
    ratings: list[int]  # per scene, in scene order
    at_or_above: list[int]  # [L] = scenes rated ≥ L (index 0 unused, one spare at the top)
    constraint_at_or_above: list[int]


def resolve(answers: Any, scenes: Any, data: Any, ind: Indicator) -> Resolved | None:
    """Points and rating counts of a valid complete document, or None if it is not exactly one.

    No messages and no normalisation: anything unusual (a missing or unknown code, a wrong type,
    2.0 for 2, a contradiction in the data) gives None, and the caller takes the thorough path,
    which names the problem or normalises the input.
    """
    if type(answers) is not dict or type(scenes) is not dict:
        return None
    rows = ind._rows
    codes = ind._scene_codes
    if len(answers) != len(rows) or len(scenes) != len(codes):
        return None  # with every code present below, equal sizes also mean no unknown codes
    points: list[Decimal] = []
    dims = [ZERO] * len(ind._dimension_codes)
    try:
        for code, multi, table, exclusive, dim, cap, choices in rows:
            value = answers[code]
            if multi:
                if type(value) is not list:
                    return None
                n = len(value)
                if choices is not None:
                    # One look-up checks the codes, "none" alone, and gives the points; the
                    # length check catches duplicates.
                    chosen = frozenset(value)
                    if len(chosen) != n:
                        return None
                    p = choices[chosen]
                elif n == 1:
                    p = table[value[0]]
                else:
                    if n == 0 or len(set(value)) != n or (exclusive and exclusive in value):
                        return None
                    p = sum(map(table.__getitem__, value), ZERO)
                    if cap is not None and p > cap:
                        p = cap
            elif type(value) is str:
                p = table[value]
            else:
                return None
            points.append(p)
            dims[dim] += p
        ratings = list(map(scenes.__getitem__, codes))
    except (KeyError, TypeError):  # TypeError: an unhashable "code", e.g. a list in a list
        return None
    top = ind.max_level
    at = [0] * (top + 2)
    cat = [0] * (top + 2)
    for rating, constraint in zip(ratings, ind._scene_flags, strict=True):
        if type(rating) is not int or rating < 0 or rating > top:
            return None
        at[rating] += 1
        if constraint:
            cat[rating] += 1
    for level in range(top - 1, 0, -1):  # histogram → counts at or above each level
        at[level] += at[level + 1]
        cat[level] += cat[level + 1]
    if data is not None and (type(data) is not dict or (data and not _data_ok(answers, data, ind))):
        return None
    return Resolved(points, dims, ratings, at, cat)


def _data_ok(answers: dict[str, Any], data: dict[str, Any], ind: Indicator) -> bool:
    """`data_errors` finds nothing (True), or the thorough path must look (False)."""
    kinds = ind._data_kinds
    for code, value in data.items():
        is_count = kinds.get(code)
        if is_count is None:
            return False
        if value is None:
            continue
        kind = type(value)
        if is_count:
            if kind is not int or value < 0:
                return False
        elif (kind is not int and kind is not float) or not 0 <= value < math.inf:
            return False
    for question, part_field, total_field, bands in ind._data_checks:
        part = data.get(part_field)
        total = data.get(total_field)
        if part is None or total is None:
            continue
        if part > total:
            return False
        expected = bands[-1][0]
        for code, numerator, denominator in bands:
            if part * denominator <= numerator * total:  # part / total ≤ upper, in integers
                expected = code
                break
        if answers[question] != expected:
            return False
    return True
