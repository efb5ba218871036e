"""An indicator definition (the JSON of the data file or of an admin correction) → `Indicator`.

Every inconsistency that would make scoring wrong or ambiguous is a DefinitionError naming it:
point values (decimal strings, at most three decimals, within the question's maximum), the
maxima of questions and dimensions, ratio bands, scene descriptors, and gates that rise with
the level.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .indicator import (
    ZERO,
    DataField,
    DefinitionError,
    Dimension,
    Gate,
    Indicator,
    Option,
    Question,
    Scene,
    show_value,
)

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "indicator_2024.json"
# Names of the answer document's own fields; indicator codes must not collide with them.
DOCUMENT_FIELDS = frozenset({"document", "indicator_version", "answers", "scenes", "data"})
_MILLI = Decimal("0.001")


def load_definition_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a definition file (UTF-8 JSON object)."""
    try:
        definition = json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"指标定义文件 {path} 不是有效的 JSON：{exc}") from exc
    if not isinstance(definition, dict):
        raise DefinitionError(f"指标定义文件 {path} 的内容应为 JSON 对象")
    return definition


def default_indicator() -> Indicator:
    """The bundled 2024 edition, revision 1 (tests and DB-less tools; the site uses the DB)."""
    return indicator_from_definition(load_definition_file(DATA_FILE))


def _get(obj: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in obj:
        raise DefinitionError(f"{where}缺少 {key}")
    value = obj[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise DefinitionError(f"{where}的 {key} 类型不正确：{show_value(value)}")
    return value


def _text(obj: Mapping[str, Any], key: str, where: str, *, optional: bool = False) -> str:
    if optional and key not in obj:
        return ""
    value: str = _get(obj, key, where, str)
    if not optional and not value.strip():
        raise DefinitionError(f"{where}的 {key} 不能为空")
    return value


def _points(value: Any, what: str) -> Decimal:
    """A point value: a decimal string (or integer) with at most three decimals, ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise DefinitionError(
            f'{what}应写成字符串形式的小数（如 "1.875"），实际为 {show_value(value)}'
        )
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise DefinitionError(f"{what}不是有效的数值：{show_value(value)}") from None
    if not number.is_finite() or number < 0:
        raise DefinitionError(f"{what}应为不小于 0 的数值，实际为 {show_value(value)}")
    if number != number.quantize(_MILLI):
        raise DefinitionError(f"{what}最多三位小数，实际为 {value}")
    return number


def _whole(obj: Mapping[str, Any], key: str, where: str) -> int:
    value: int = _get(obj, key, where, int)
    if value < 0:
        raise DefinitionError(f"{where}的 {key} 不能为负数")
    return value


def _list(obj: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value: list[Any] = _get(obj, key, where, list)
    if not value:
        raise DefinitionError(f"{where}的 {key} 不能为空")
    for item in value:
        if not isinstance(item, Mapping):
            raise DefinitionError(f"{where}的 {key} 中每一项都应为对象")
    return value


def _level_texts(obj: Mapping[str, Any], key: str, where: str, levels: range) -> dict[int, str]:
    raw: Mapping[str, Any] = _get(obj, key, where, Mapping)
    expected = {str(level) for level in levels}
    if set(raw) != expected:
        raise DefinitionError(
            f"{where}的 {key} 应恰好包含等级 {'、'.join(sorted(expected))}，"
            f"实际为 {'、'.join(sorted(map(str, raw))) or '空'}"
        )
    texts = {}
    for level in levels:
        text = raw[str(level)]
        if not isinstance(text, str) or not text.strip():
            raise DefinitionError(f"{where}的 {key} 中等级 {level} 的说明应为非空文字")
        texts[level] = text
    return texts


def _unique(codes: list[str], what: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise DefinitionError(f"{what}代码 {code} 重复")
        seen.add(code)


def indicator_from_definition(definition: Mapping[str, Any], *, revision: int = 1) -> Indicator:
    """Check a definition (data file or admin correction) and compile it; DefinitionError if not."""
    if not isinstance(definition, Mapping):
        raise DefinitionError("指标定义应为 JSON 对象")
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 1:
        raise DefinitionError(f"修订号应为正整数，实际为 {show_value(revision)}")
    top = "指标定义"
    version = _text(definition, "version", top)

    dimensions = []
    for raw in _list(definition, "dimensions", top):
        code = _text(raw, "code", "维度")
        where = f"维度 {code} "
        dimensions.append(
            Dimension(code, _text(raw, "name", where), _points(raw.get("max"), f"{where}的满分"))
        )
    _unique([d.code for d in dimensions], "维度")

    data_fields_raw = definition.get("data_fields", [])
    if not isinstance(data_fields_raw, list):
        raise DefinitionError("指标定义的 data_fields 应为列表")
    field_labels: dict[str, str] = {}
    for raw in data_fields_raw:
        if not isinstance(raw, Mapping):
            raise DefinitionError("指标定义的 data_fields 中每一项都应为对象")
        code = _text(raw, "code", "补充数据项")
        if code in field_labels:
            raise DefinitionError(f"补充数据项代码 {code} 重复")
        field_labels[code] = _text(raw, "label", f"补充数据项 {code} ")

    questions = [
        _question(raw, dimensions, field_labels) for raw in _list(definition, "questions", top)
    ]
    _unique([q.code for q in questions], "题目")
    for dim in dimensions:
        own = [q for q in questions if q.dimension == dim.code]
        if not own:
            raise DefinitionError(f"维度 {dim.code} 没有任何题目")
        total = sum((q.max_points for q in own), ZERO)
        if total != dim.max_points:
            raise DefinitionError(
                f"维度 {dim.code} 的满分为 {dim.max_points}，但其题目满分之和为 {total}"
            )
    count_fields = {c for q in questions for c in (q.data_part, q.data_total) if c}

    gates = _gates(definition, top)
    max_level = gates[0].level
    scenes = [_scene(raw, max_level) for raw in _list(definition, "scenes", top)]
    _unique([s.code for s in scenes], "场景")
    _unique(
        [d.code for d in dimensions]
        + [q.code for q in questions]
        + [s.code for s in scenes]
        + list(field_labels)
        + sorted(DOCUMENT_FIELDS),
        "维度、题目、场景、补充数据项及文档字段的",
    )
    max_total = sum((q.max_points for q in questions), ZERO)
    constraint_count = sum(1 for s in scenes if s.constraint)
    for g in gates:
        where = f"{g.level} 级门槛"
        if g.min_score > max_total:
            raise DefinitionError(f"{where}的总分 {g.min_score} 超过了满分 {max_total}")
        if g.min_scenes > len(scenes):
            raise DefinitionError(f"{where}要求 {g.min_scenes} 个场景，但只有 {len(scenes)} 个场景")
        if g.min_constraint_scenes > constraint_count:
            raise DefinitionError(
                f"{where}要求 {g.min_constraint_scenes} 个约束性场景，"
                f"但只有 {constraint_count} 个约束性场景"
            )

    meanings = (
        _level_texts(definition, "level_meanings", top, range(max_level + 1))
        if "level_meanings" in definition
        else {}
    )
    return Indicator(
        version=version,
        revision=revision,
        name=_text(definition, "name", top),
        dimensions=tuple(dimensions),
        questions=tuple(questions),
        scenes=tuple(scenes),
        gates=gates,
        level_names=MappingProxyType(
            _level_texts(definition, "level_names", top, range(max_level + 1))
        ),
        data_fields=tuple(
            DataField(code, label, "count" if code in count_fields else "amount")
            for code, label in field_labels.items()
        ),
        level_meanings=MappingProxyType(meanings),
        document=_text(definition, "document", top, optional=True),
        provenance=_text(definition, "provenance", top, optional=True),
    )


def _question(
    raw: Mapping[str, Any], dimensions: list[Dimension], field_labels: Mapping[str, str]
) -> Question:
    code = _text(raw, "code", "题目")
    where = f"题目 {code} "
    dimension = _text(raw, "dimension", where)
    if dimension not in {d.code for d in dimensions}:
        raise DefinitionError(f"{where}属于未知的维度 {dimension}")
    kind = _text(raw, "type", where)
    if kind not in ("single", "multi"):
        raise DefinitionError(f"{where}的类型应为 single 或 multi，实际为 {kind}")
    max_points = _points(raw.get("max_points"), f"{where}的满分")
    if max_points <= 0:
        raise DefinitionError(f"{where}的满分应大于 0")
    check = raw.get("data_check")
    if check is not None and (kind != "single" or not isinstance(check, Mapping)):
        raise DefinitionError(f"{where}的 data_check 只能用于单选题，且应为对象")
    options = []
    for opt in _list(raw, "options", where):
        ocode = _text(opt, "code", f"{where}的选项")
        owhere = f"{where}选项 {ocode} "
        points = _points(opt.get("points"), f"{owhere}的分值")
        if points > max_points:
            raise DefinitionError(f"{owhere}的分值 {points} 超过了该题满分 {max_points}")
        exclusive = opt.get("exclusive", False)
        if not isinstance(exclusive, bool):
            raise DefinitionError(f"{owhere}的 exclusive 应为 true 或 false")
        if exclusive and (kind != "multi" or points != 0):
            raise DefinitionError(f"{owhere}：只有多选题的“无”选项可以排他，且其分值应为 0")
        band = None
        if check is not None:
            if "band" not in opt:
                raise DefinitionError(f"{owhere}缺少比例档位上限 band")
            band = _points(opt["band"], f"{owhere}的比例档位上限")
        elif "band" in opt:
            raise DefinitionError(f"{owhere}有比例档位 band，但该题没有 data_check")
        options.append(Option(ocode, _text(opt, "label", owhere), points, exclusive, band))
    _unique([o.code for o in options], f"{where}的选项")
    data_part = data_total = None
    if check is not None:
        data_part = _text(check, "part", f"{where}的 data_check ")
        data_total = _text(check, "total", f"{where}的 data_check ")
        for name in (data_part, data_total):
            if name not in field_labels:
                raise DefinitionError(f"{where}核对的补充数据项 {name} 未在 data_fields 中定义")
        if data_part == data_total:
            raise DefinitionError(f"{where}的 data_check 中 part 与 total 不能相同")
        bands = [o.band_upper for o in options if o.band_upper is not None]
        if any(b <= 0 or b > 1 for b in bands) or bands != sorted(set(bands)):
            raise DefinitionError(f"{where}的比例档位上限应在 0 到 1 之间并按选项顺序严格递增")
        if bands[-1] != 1:
            raise DefinitionError(f"{where}最后一个比例档位的上限应为 1（即 100%）")
    data_field = raw.get("data_field")
    if data_field is not None and data_field not in field_labels:
        raise DefinitionError(
            f"{where}的 data_field {show_value(data_field)} 未在 data_fields 中定义"
        )
    if kind == "single":
        best = max(o.points for o in options)
        if best != max_points:
            raise DefinitionError(f"{where}是单选题，满分 {max_points} 应等于最高选项分值 {best}")
    else:
        if sum(1 for o in options if o.exclusive) > 1:
            raise DefinitionError(f"{where}最多只能有一个排他选项")
        reachable = sum((o.points for o in options if not o.exclusive), ZERO)
        if reachable < max_points:
            raise DefinitionError(
                f"{where}是多选题，全部选项分值之和 {reachable} 达不到满分 {max_points}"
            )
    return Question(
        code=code,
        dimension=dimension,
        kind="single" if kind == "single" else "multi",
        title=_text(raw, "title", where),
        prompt=_text(raw, "prompt", where),
        explanation=_text(raw, "explanation", where, optional=True),
        max_points=max_points,
        options=tuple(options),
        data_part=data_part,
        data_total=data_total,
        data_field=data_field,
        comment=_text(raw, "comment", where, optional=True),
    )


def _scene(raw: Mapping[str, Any], max_level: int) -> Scene:
    code = _text(raw, "code", "场景")
    where = f"场景 {code} "
    return Scene(
        code=code,
        group=_text(raw, "group", where),
        name=_text(raw, "name", where),
        constraint=_get(raw, "constraint", where, bool),
        descriptors=MappingProxyType(
            _level_texts(raw, "descriptors", where, range(1, max_level + 1))
        ),
    )


def _gates(definition: Mapping[str, Any], top: str) -> tuple[Gate, ...]:
    gates = []
    for raw in _list(definition, "gates", top):
        level = _whole(raw, "level", "等级门槛")
        where = f"{level} 级门槛"
        gates.append(
            Gate(
                level=level,
                min_score=_points(raw.get("min_score"), f"{where}的总分"),
                min_scenes=_whole(raw, "min_scenes", where),
                min_constraint_scenes=_whole(raw, "min_constraint_scenes", where),
            )
        )
    levels = sorted(g.level for g in gates)
    if levels != list(range(1, len(gates) + 1)):
        raise DefinitionError(
            f"等级门槛应恰好覆盖 1 到 {len(gates)} 级各一次，实际为 {'、'.join(map(str, levels))}"
        )
    gates.sort(key=lambda g: g.level, reverse=True)
    for g in gates:
        if g.min_constraint_scenes > g.min_scenes:
            raise DefinitionError(f"{g.level} 级门槛要求的约束性场景数不能多于场景数")
    # A higher level must demand at least as much as the level below it, or "the highest level
    # whose gates hold" could skip a level.
    for higher, lower in itertools.pairwise(gates):
        for attr, what in (
            ("min_score", "总分"),
            ("min_scenes", "场景数"),
            ("min_constraint_scenes", "约束性场景数"),
        ):
            if getattr(higher, attr) < getattr(lower, attr):
                raise DefinitionError(
                    f"等级门槛应随等级递增：{higher.level} 级的{what}要求 {getattr(higher, attr)} "
                    f"低于 {lower.level} 级的 {getattr(lower, attr)}"
                )
    return tuple(gates)
