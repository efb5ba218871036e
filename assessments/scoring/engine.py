"""Points, level, the distance to the next level and a plan to cover it (docs/rules.md §2, §3.1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from .indicator import ZERO, Gate, Indicator, Question
from .validation import FieldError, Resolved, normalised, resolve, validate_answers


class InvalidAnswersError(ValueError):
    """`score` was given input that `validate_answers(..., complete=True)` rejects."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("；".join(f"{e.field}：{e.message}" for e in errors))


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One suggested change: a new answer or a new scene rating.

    For a question, `current` and `target` are option codes in option order, comma-separated
    ("F,G,N" → "B,C,…,O"); for a scene, ratings ("1" → "3").
    """

    code: str
    kind: Literal["question", "scene"]
    current: str
    target: str
    gain: Decimal | None  # the points a question change adds; None for a scene

    @property
    def to_tick(self) -> tuple[str, ...]:
        """The options to choose that are not chosen yet (for a single: the new answer)."""
        current = set(self.current.split(","))
        return tuple(c for c in self.target.split(",") if c and c not in current)

    @property
    def to_untick(self) -> tuple[str, ...]:
        """The options to clear, e.g. a multi's exclusive "none of these"."""
        target = set(self.target.split(","))
        return tuple(c for c in self.current.split(",") if c and c not in target)


class _PlanBasis(NamedTuple):
    indicator: Indicator
    answers: tuple[Any, ...]  # per question, in question order (a snapshot)
    points: list[Decimal]  # per question; owned by the result, never changed
    ratings: list[int]  # per scene


@dataclass(frozen=True, slots=True)
class NextLevel:
    level: int
    points_short: Decimal
    scenes_short: int
    constraint_scenes_short: int
    fewest_changes: int
    _basis: _PlanBasis | None = field(default=None, repr=False, compare=False)
    _plan: tuple[PlanItem, ...] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def plan(self) -> tuple[PlanItem, ...]:
        """`fewest_changes` concrete changes that reach `level`. Worked out when first read:
        only a page showing one assessment needs it, batch scoring does not."""
        if self._plan is None:
            plan = () if self._basis is None else _plan(self, self._basis)
            object.__setattr__(self, "_plan", plan)
            return plan
        return self._plan


@dataclass(frozen=True, slots=True)
class Result:
    indicator_version: str
    revision: int
    total: Decimal
    dimensions: Mapping[str, Decimal]
    question_points: Mapping[str, Decimal]
    scenes_at_or_above: Mapping[int, int]  # keys 1 … max level
    constraint_scenes_at_or_above: Mapping[int, int]
    level: int
    next_level: NextLevel | None  # None at the top level


def score(
    answers: Mapping[str, Any],
    scenes: Mapping[str, Any],
    data: Mapping[str, Any] | None,
    indicator: Indicator,
) -> Result:
    """Score a complete, valid set of answers; InvalidAnswersError (a ValueError) otherwise."""
    resolved = resolve(answers, scenes, data, indicator)
    if resolved is None:
        errors = validate_answers(answers, scenes, data, indicator, complete=True)
        if errors:
            raise InvalidAnswersError(errors)
        answers, scenes, data = normalised(answers, scenes, data)
        resolved = resolve(answers, scenes, data, indicator)
        assert resolved is not None, "validated input must resolve"
    return result_of(answers, resolved, indicator, with_plan=True)


def _gates_hold(gate: Gate, total: Decimal, at: list[int], cat: list[int]) -> bool:
    return (
        total >= gate.min_score
        and at[gate.level] >= gate.min_scenes
        and cat[gate.level] >= gate.min_constraint_scenes
    )


def result_of(
    answers: Mapping[str, Any], resolved: Resolved, ind: Indicator, *, with_plan: bool
) -> Result:
    """The result of a resolved document (`with_plan`: keep what `NextLevel.plan` needs)."""
    points, dims, ratings, at, cat = resolved
    total = sum(dims, ZERO)
    level = 0
    for gate in ind.gates:  # highest first; gates rise with the level, so the first that holds
        if _gates_hold(gate, total, at, cat):
            level = gate.level
            break
    top = ind.max_level
    next_level = None
    if level < top:
        gate = ind._gates[level + 1]
        points_short = gate.min_score - total if total < gate.min_score else ZERO
        scenes_short = max(0, gate.min_scenes - at[level + 1])
        constraint_short = max(0, gate.min_constraint_scenes - cat[level + 1])
        changes = 0
        if points_short:
            # One change sets one question to its best answer; the largest headrooms first is
            # optimal. The gate is at most the maximum total, so the loop always gets there.
            gained = ZERO
            headrooms = [m - p for m, p in zip(ind._question_max, points, strict=True)]
            for headroom in sorted(headrooms, reverse=True):
                gained += headroom
                changes += 1
                if gained >= points_short:
                    break
        basis = None
        if with_plan:
            current = tuple(map(answers.__getitem__, ind._question_codes))
            basis = _PlanBasis(ind, current, points, ratings)
        next_level = NextLevel(
            level=level + 1,
            points_short=points_short,
            scenes_short=scenes_short,
            constraint_scenes_short=constraint_short,
            # Raising a constraint scene counts for both scene conditions.
            fewest_changes=changes + max(scenes_short, constraint_short),
            _basis=basis,
        )
    levels = ind._levels
    return Result(
        indicator_version=ind.version,
        revision=ind.revision,
        total=total,
        dimensions=dict(zip(ind._dimension_codes, dims, strict=True)),
        question_points=dict(zip(ind._question_codes, points, strict=True)),
        scenes_at_or_above=dict(zip(levels, at[1 : top + 1], strict=True)),
        constraint_scenes_at_or_above=dict(zip(levels, cat[1 : top + 1], strict=True)),
        level=level,
        next_level=next_level,
    )


def _describe(question: Question, answer: Any) -> str:
    if isinstance(answer, list | tuple):
        chosen = set(answer)
        return ",".join(o.code for o in question.options if o.code in chosen)
    return str(answer)


def _question_change(
    question: Question, answer: Any, points: Decimal, need: Decimal
) -> tuple[str, Decimal]:
    """The smallest change of one answer that adds at least `need` points (or all it can):
    for a multi, the fewest options still to tick, the most valuable first (ties in option
    order), an exclusive option cleared; for a single, the lowest option that is enough.
    Returns the new answer as option codes in option order, and the points it adds."""
    if question.kind == "multi":
        chosen = set(answer) if isinstance(answer, list | tuple) else set()
        exclusive = question.exclusive_option
        if exclusive is not None and exclusive.code in chosen:
            chosen = set()
        base = sum((o.points for o in question.options if o.code in chosen), ZERO)
        unticked = [o for o in question.options if not o.exclusive and o.code not in chosen]
        unticked.sort(key=lambda o: -o.points)  # stable: ties keep the option order
        total = base
        for option in unticked:
            if min(total, question.max_points) - points >= need:
                break
            chosen.add(option.code)
            total += option.points
        codes = ",".join(o.code for o in question.options if o.code in chosen)
        return codes, min(total, question.max_points) - points
    higher = sorted((o for o in question.options if o.points > points), key=lambda o: o.points)
    pick = next((o for o in higher if o.points - points >= need), higher[-1])
    return pick.code, pick.points - points


def _plan(next_level: NextLevel, basis: _PlanBasis) -> tuple[PlanItem, ...]:
    """Questions with the most headroom first (ties in question order), each changed as little
    as covers what is still missing; then the constraint scenes closest to the target level,
    then the other scenes closest to it."""
    ind = basis.indicator
    items: list[PlanItem] = []
    if next_level.points_short:
        headroom = [m - p for m, p in zip(ind._question_max, basis.points, strict=True)]
        gained = ZERO
        for i in sorted(range(len(headroom)), key=lambda i: -headroom[i]):
            if gained >= next_level.points_short or headroom[i] <= 0:
                break
            q = ind.questions[i]
            need = min(headroom[i], next_level.points_short - gained)
            target, gain = _question_change(q, basis.answers[i], basis.points[i], need)
            gained += gain
            current = _describe(q, basis.answers[i])
            items.append(PlanItem(q.code, "question", current, target, gain))
    target_level = next_level.level
    below = [i for i, rating in enumerate(basis.ratings) if rating < target_level]
    below.sort(key=lambda i: -basis.ratings[i])  # closest first; ties in scene order
    chosen = [i for i in below if ind.scenes[i].constraint][: next_level.constraint_scenes_short]
    others = [i for i in below if i not in chosen]
    chosen += others[: max(0, next_level.scenes_short - len(chosen))]
    for i in chosen:
        scene = ind.scenes[i]
        items.append(PlanItem(scene.code, "scene", str(basis.ratings[i]), str(target_level), None))
    return tuple(items)


def level_for(total: Decimal, scenes: Mapping[str, int], indicator: Indicator) -> int:
    """The level of a total and valid scene ratings (a missing scene counts as 0): the highest
    level whose three gate conditions all hold, else 0."""
    top = indicator.max_level
    at = [0] * (top + 2)
    cat = [0] * (top + 2)
    for s in indicator.scenes:
        for level in range(1, min(scenes.get(s.code, 0), top) + 1):
            at[level] += 1
            if s.constraint:
                cat[level] += 1
    for gate in indicator.gates:
        if _gates_hold(gate, total, at, cat):
            return gate.level
    return 0
