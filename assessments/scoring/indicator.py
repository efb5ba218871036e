"""An indicator edition as immutable objects, with the look-up tables scoring needs."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

ZERO = Decimal(0)


class DefinitionError(ValueError):
    """An indicator definition is inconsistent; the message (Chinese) names the problem."""


def show_value(value: Any) -> str:
    """A value in a message, as the user wrote it (JSON: true, [1], "x"), shortened."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


@dataclass(frozen=True)
class Dimension:
    code: str
    name: str
    max_points: Decimal


@dataclass(frozen=True)
class DataField:
    code: str
    label: str
    # "count": a whole number cross-checked against a ratio band; "amount": informational.
    kind: Literal["count", "amount"]


@dataclass(frozen=True)
class Option:
    code: str
    label: str
    points: Decimal
    exclusive: bool = False
    band_upper: Decimal | None = None  # ratio bands: a ratio r is in the first band with r ≤ upper


@dataclass(frozen=True)
class Question:
    code: str
    dimension: str
    kind: Literal["single", "multi"]
    title: str
    prompt: str
    explanation: str
    max_points: Decimal
    options: tuple[Option, ...]
    data_part: str | None = None  # with data_total: the counts whose ratio decides the band
    data_total: str | None = None
    data_field: str | None = None  # an informational data field shown with the question
    comment: str = ""
    option_codes: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "option_codes", frozenset(o.code for o in self.options))

    @property
    def exclusive_option(self) -> Option | None:
        return next((o for o in self.options if o.exclusive), None)

    @property
    def best_options(self) -> tuple[str, ...]:
        """The answer worth the most: the top option, or every non-exclusive option of a multi."""
        if self.kind == "multi":
            return tuple(o.code for o in self.options if not o.exclusive)
        top = max(o.points for o in self.options)
        return (next(o.code for o in self.options if o.points == top),)


@dataclass(frozen=True)
class Scene:
    code: str
    group: str
    name: str
    constraint: bool
    descriptors: Mapping[int, str]


@dataclass(frozen=True)
class Gate:
    level: int
    min_score: Decimal
    min_scenes: int
    min_constraint_scenes: int


# A question compiled for the hot path: code, is multi, option → points, the exclusive option's
# code, dimension index, the cap of a multi whose options add up to more than its maximum, and
# for a multi with few options every valid choice (a set of codes) → its points.
QuestionRow = tuple[
    str,
    bool,
    dict[str, Decimal],
    str | None,
    int,
    Decimal | None,
    dict[frozenset[str], Decimal] | None,
]
# Multis with up to this many non-exclusive options get the table of choices (2^8 entries).
CHOICE_TABLE_MAX_OPTIONS = 8
# A ratio cross-check compiled for the hot path: question code, part and total data fields, and
# per option (in order) its code and its band's upper bound as an integer fraction.
DataCheck = tuple[str, str, str, tuple[tuple[str, int, int], ...]]


@dataclass(frozen=True)
class Indicator:
    version: str
    revision: int
    name: str
    dimensions: tuple[Dimension, ...]
    questions: tuple[Question, ...]
    scenes: tuple[Scene, ...]
    gates: tuple[Gate, ...]  # stored highest level first, whatever the order given
    level_names: Mapping[int, str]
    data_fields: tuple[DataField, ...]
    level_meanings: Mapping[int, str] = field(default_factory=dict)
    document: str = ""
    provenance: str = ""
    # Derived in __post_init__. The underscored ones are for the scoring package only.
    max_level: int = field(init=False, repr=False, compare=False)
    max_total: Decimal = field(init=False, repr=False, compare=False)
    _questions: Mapping[str, Question] = field(init=False, repr=False, compare=False)
    _scenes: Mapping[str, Scene] = field(init=False, repr=False, compare=False)
    _data_fields: Mapping[str, DataField] = field(init=False, repr=False, compare=False)
    _gates: Mapping[int, Gate] = field(init=False, repr=False, compare=False)
    _rows: tuple[QuestionRow, ...] = field(init=False, repr=False, compare=False)
    _data_kinds: Mapping[str, bool] = field(init=False, repr=False, compare=False)  # is a count
    _data_checks: tuple[DataCheck, ...] = field(init=False, repr=False, compare=False)
    _question_codes: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _question_max: tuple[Decimal, ...] = field(init=False, repr=False, compare=False)
    _dimension_codes: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _scene_codes: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _scene_flags: tuple[bool, ...] = field(init=False, repr=False, compare=False)
    _levels: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        dim_index = {d.code: i for i, d in enumerate(self.dimensions)}
        rows: list[QuestionRow] = []
        for q in self.questions:
            exclusive = q.exclusive_option
            capped = q.kind == "multi" and sum(o.points for o in q.options) > q.max_points
            rows.append(
                (
                    q.code,
                    q.kind == "multi",
                    {o.code: o.points for o in q.options},
                    exclusive.code if exclusive else None,
                    dim_index[q.dimension],
                    q.max_points if capped else None,
                    _choice_table(q),
                )
            )
        checks: list[DataCheck] = []
        for q in self.questions:
            if q.data_part and q.data_total:
                bands = tuple(
                    (o.code, *(o.band_upper or Decimal(1)).as_integer_ratio()) for o in q.options
                )
                checks.append((q.code, q.data_part, q.data_total, bands))
        gates = tuple(sorted(self.gates, key=lambda g: g.level, reverse=True))
        max_level = gates[0].level if gates else 0
        derived: dict[str, Any] = {
            "gates": gates,
            "max_level": max_level,
            "max_total": sum((q.max_points for q in self.questions), ZERO),
            "_questions": MappingProxyType({q.code: q for q in self.questions}),
            "_scenes": MappingProxyType({s.code: s for s in self.scenes}),
            "_data_fields": MappingProxyType({f.code: f for f in self.data_fields}),
            "_gates": MappingProxyType({g.level: g for g in gates}),
            "_rows": tuple(rows),
            "_data_kinds": MappingProxyType({f.code: f.kind == "count" for f in self.data_fields}),
            "_data_checks": tuple(checks),
            "_question_codes": tuple(q.code for q in self.questions),
            "_question_max": tuple(q.max_points for q in self.questions),
            "_dimension_codes": tuple(d.code for d in self.dimensions),
            "_scene_codes": tuple(s.code for s in self.scenes),
            "_scene_flags": tuple(s.constraint for s in self.scenes),
            "_levels": tuple(range(1, max_level + 1)),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    def question(self, code: str) -> Question:
        """The question with this code; KeyError if there is none."""
        return self._questions[code]

    def scene(self, code: str) -> Scene:
        """The scene with this code; KeyError if there is none."""
        return self._scenes[code]

    def gate(self, level: int) -> Gate:
        """The gate of a level (1 … max_level); KeyError otherwise."""
        return self._gates[level]

    def data_field(self, code: str) -> DataField:
        return self._data_fields[code]


def _choice_table(q: Question) -> dict[frozenset[str], Decimal] | None:
    """Every valid answer of a multi with few options → its points (capped at the maximum)."""
    plain = [o for o in q.options if not o.exclusive]
    if q.kind != "multi" or len(plain) > CHOICE_TABLE_MAX_OPTIONS:
        return None
    table = {
        frozenset(o.code for o in chosen): min(sum((o.points for o in chosen), ZERO), q.max_points)
        for size in range(1, len(plain) + 1)
        for chosen in itertools.combinations(plain, size)
    }
    exclusive = q.exclusive_option
    if exclusive is not None:
        table[frozenset({exclusive.code})] = exclusive.points
    return table
