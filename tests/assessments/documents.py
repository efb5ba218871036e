"""Answer documents for the scoring tests, and the 2024 rules written out from docs/rules.md §2.

The tables here are copied by hand from docs/rules.md, not read from the data file, so the tests
check the data file (and the scoring code) against the specification.
"""

from __future__ import annotations

import copy
import functools
from decimal import Decimal
from typing import Any

D = Decimal

# code → (type, maximum, {option: points}), docs/rules.md §2.1.
QUESTIONS: dict[str, tuple[str, str, dict[str, str]]] = {
    "Q1": ("multi", "8", {"A": "0", "B": "2", "C": "2", "D": "2", "E": "2"}),
    "Q2": ("single", "6", {"A": "0", "B": "1.5", "C": "3", "D": "4.5", "E": "6"}),
    "Q3": ("single", "6", {"A": "0", "B": "1.5", "C": "3", "D": "4.5", "E": "6"}),
    "Q4": (
        "multi",
        "10",
        {"A": "0", **{c: "0.7" for c in "BCDEFGHIJKLMN"}, "O": "0.9"},
    ),
    "Q5": ("single", "10", {"A": "0", "B": "2.5", "C": "5", "D": "7.5", "E": "10"}),
    "Q6": ("multi", "5", {"A": "0", "B": "1.25", "C": "1.25", "D": "1.25", "E": "1.25"}),
    "Q7": ("multi", "5", {"A": "0", "B": "1.25", "C": "1.25", "D": "1.25", "E": "1.25"}),
    "Q8": ("single", "7.5", {"A": "0", "B": "1.5", "C": "3", "D": "4.5", "E": "6", "F": "7.5"}),
    "Q9": ("multi", "7.5", {"A": "0", "B": "1.875", "C": "1.875", "D": "1.875", "E": "1.875"}),
    "Q10": (
        "multi",
        "7.5",
        {"A": "0", "B": "1.5", "C": "1.5", "D": "1.5", "E": "1.5", "F": "1.5"},
    ),
    "Q11": ("single", "7.5", {"A": "0", "B": "1.875", "C": "3.75", "D": "5.625", "E": "7.5"}),
    "Q12": ("single", "7", {"A": "0", "B": "3.5", "C": "7"}),
    "Q13": ("single", "7", {"A": "0", "B": "3.5", "C": "7"}),
    "Q14": ("single", "3", {"A": "0", "B": "1.5", "C": "3"}),
    "Q15": ("single", "3", {"A": "0", "B": "1.5", "C": "3"}),
}
DIMENSIONS = {
    "foundation": ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7"],
    "management": ["Q8", "Q9", "Q10", "Q11"],
    "outcomes": ["Q12", "Q13", "Q14", "Q15"],
}
SCENES = [f"S{n:02d}" for n in range(1, 17)]
CONSTRAINT_SCENES = ["S01", "S03", "S06", "S07", "S08", "S09", "S10", "S11", "S12", "S13"]
GUIDANCE_SCENES = [s for s in SCENES if s not in CONSTRAINT_SCENES]
# level → (score ≥, scenes rated ≥ level, of which constraint scenes), docs/rules.md §2.3.
GATES = {4: (D("80"), 10, 6), 3: (D("60"), 8, 5), 2: (D("40"), 6, 3), 1: (D("20"), 6, 3)}

# docs/rules.md §3.1, verbatim.
EXAMPLE_DOCUMENT: dict[str, Any] = {
    "indicator_version": "2024",
    "answers": {
        "Q1": ["B", "D"],
        "Q2": "C",
        "Q3": "B",
        "Q4": ["F", "G", "N"],
        "Q5": "C",
        "Q6": ["B"],
        "Q7": ["A"],
        "Q8": "D",
        "Q9": ["B", "C"],
        "Q10": ["B", "D"],
        "Q11": "B",
        "Q12": "B",
        "Q13": "C",
        "Q14": "C",
        "Q15": "B",
    },
    "scenes": {
        "S01": 2,
        "S02": 1,
        "S03": 2,
        "S04": 0,
        "S05": 1,
        "S06": 2,
        "S07": 2,
        "S08": 1,
        "S09": 2,
        "S10": 1,
        "S11": 2,
        "S12": 1,
        "S13": 3,
        "S14": 1,
        "S15": 2,
        "S16": 0,
    },
    "data": {"equipment_total": 120, "equipment_digital": 30},
}
EXAMPLE_RESULT: dict[str, Any] = {
    "valid": True,
    "indicator_version": "2024",
    "total": "44.975",
    "dimensions": {"foundation": "16.850", "management": "13.125", "outcomes": "15.000"},
    "scenes_at_or_above": {"1": 14, "2": 8, "3": 1, "4": 0},
    "constraint_scenes_at_or_above": {"1": 10, "2": 7, "3": 1, "4": 0},
    "level": 2,
    "next_level": {
        "level": 3,
        "points_short": "15.025",
        "scenes_short": 7,
        "constraint_scenes_short": 4,
        "fewest_changes": 10,
    },
}


def example() -> dict[str, Any]:
    """A fresh copy of the docs/rules.md example document (tests change it freely)."""
    return copy.deepcopy(EXAMPLE_DOCUMENT)


def points(question: str, option: str) -> Decimal:
    return D(QUESTIONS[question][2][option])


def max_points(question: str) -> Decimal:
    return D(QUESTIONS[question][1])


def best_answer(question: str) -> str | list[str]:
    kind, _, options = QUESTIONS[question]
    if kind == "multi":
        return [c for c in options if c != "A"]
    return max(options, key=lambda c: D(options[c]))


def none_answer(question: str) -> str | list[str]:
    return ["A"] if QUESTIONS[question][0] == "multi" else "A"


def lowest_answers() -> dict[str, Any]:
    return {q: none_answer(q) for q in QUESTIONS}


def highest_answers() -> dict[str, Any]:
    return {q: best_answer(q) for q in QUESTIONS}


def document(
    answers: dict[str, Any] | None = None,
    scenes: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A complete document: the given parts, the lowest answers and all scenes at 0 otherwise."""
    doc: dict[str, Any] = {
        "indicator_version": "2024",
        "answers": answers if answers is not None else lowest_answers(),
        "scenes": scenes if scenes is not None else dict.fromkeys(SCENES, 0),
    }
    if data is not None:
        doc["data"] = data
    return doc


def scenes_with(level: int, count: int, constraint: int, rest: int = 0) -> dict[str, int]:
    """`count` scenes rated `level`, `constraint` of them constraint scenes; the others `rest`."""
    assert constraint <= count and count - constraint <= len(GUIDANCE_SCENES)
    rated = CONSTRAINT_SCENES[:constraint] + GUIDANCE_SCENES[: count - constraint]
    return {s: level if s in rated else rest for s in SCENES}


def reference_points(answers: dict[str, Any]) -> dict[str, Decimal]:
    """Points per question the plain way (no caps: every 2024 multi sums exactly to its max)."""
    result = {}
    for q, value in answers.items():
        chosen = value if isinstance(value, list) else [value]
        result[q] = sum((points(q, c) for c in chosen), D(0))
    return result


def reference_level(total: Decimal, scenes: dict[str, int]) -> int:
    for level in (4, 3, 2, 1):
        min_score, min_scenes, min_constraint = GATES[level]
        rated = [s for s in SCENES if scenes[s] >= level]
        if (
            total >= min_score
            and len(rated) >= min_scenes
            and len([s for s in rated if s in CONSTRAINT_SCENES]) >= min_constraint
        ):
            return level
    return 0


def _choices(question: str) -> list[tuple[int, str | list[str]]]:
    """Every distinct number of points a question can give (in thousandths), with one answer."""
    kind, _, options = QUESTIONS[question]
    milli = {c: int(D(p) * 1000) for c, p in options.items()}
    if kind == "single":
        return sorted(((m, c) for c, m in milli.items()), reverse=True)
    sums: dict[int, list[str]] = {0: []}
    for code in (c for c in options if c != "A"):
        for total, chosen in list(sums.items()):
            sums.setdefault(total + milli[code], [*chosen, code])
    sums[0] = ["A"]
    return sorted(sums.items(), reverse=True)


@functools.cache
def _answers_with_total(target_milli: int) -> tuple[tuple[str, Any], ...] | None:
    codes = list(QUESTIONS)
    choices = [_choices(q) for q in codes]
    ceiling = [sum(c[0][0] for c in choices[i:]) for i in range(len(codes) + 1)]

    @functools.cache
    def search(i: int, remaining: int) -> tuple[tuple[str, Any], ...] | None:
        if i == len(codes):
            return () if remaining == 0 else None
        if remaining < 0 or remaining > ceiling[i]:
            return None
        for value, answer in choices[i]:
            rest = search(i + 1, remaining - value)
            if rest is not None:
                return ((codes[i], answer), *rest)
        return None

    return search(0, target_milli)


def answers_with_total(total: Decimal | str) -> dict[str, Any]:
    """Answers worth exactly `total` points (found by search over the table above)."""
    found = _answers_with_total(int(D(total) * 1000))
    assert found is not None, f"no answers give {total}"
    return copy.deepcopy(dict(found))
