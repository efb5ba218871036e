"""Benchmark: validating and scoring answer documents against a bare point-summing floor.

Pure Python, no database. Generates N random valid documents of the bundled 2024 edition
(seeded; about half carry equipment counts consistent with their Q2/Q3 bands), then times

1. `validate_answers(..., complete=True)` followed by `score(...)` for every document (what a
   submission does), and
2. the floor: for the same documents, already resolved to a flat list of `Decimal` points (one
   per chosen option) and their scene ratings, summing the points and counting the ratings per
   level (all scenes and constraint scenes). No look-ups, no checks, no result objects.

`score` alone is shown as well: it checks the whole document too (it must refuse invalid input),
so a caller that wants both can call it and catch InvalidAnswersError. Each figure is the best
of --repeat interleaved runs, in CPU time of this process (time.process_time: the machine is
shared). Details go to stderr (including `evaluate_document`, the §3.1 path of the API and of
`score_answers`); the last line on stdout is one JSON object:
{"name": "scoring", "documents": 40000, "seconds": …, "floor_seconds": …, "ratio": …}

Run: .venv/bin/python -m bench.scoring [--documents 40000] [--repeat 5] [--seed 2026]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from assessments.scoring import (
    Indicator,
    default_indicator,
    evaluate_document,
    score,
    validate_answers,
)

ZERO = Decimal(0)
# CPU time of this process: the development machine is shared, and wall-clock time would charge
# other people's test runs to whichever side happened to be running.
CLOCK = time.process_time


def _answer(rng: random.Random, question: Any) -> Any:
    codes = [o.code for o in question.options]
    if question.kind == "single":
        return rng.choice(codes)
    plain = [o.code for o in question.options if not o.exclusive]
    if rng.random() < 0.15:
        return [codes[0]]  # "无"
    chosen = rng.sample(plain, rng.randint(1, len(plain)))
    return chosen  # random order, as people tick boxes


def _band(question: Any, part: int, total: int) -> str:
    return next(o.code for o in question.options if part <= o.band_upper * total)


def generate(indicator: Indicator, n: int, seed: int) -> list[dict[str, Any]]:
    return list(iter_generate(indicator, n, seed))


def iter_generate(indicator: Indicator, n: int, seed: int) -> Iterator[dict[str, Any]]:
    """`generate`'s documents one at a time (the same ones, from the same seed), for loaders
    that store millions and must not hold them all."""
    rng = random.Random(seed)
    for _ in range(n):
        answers = {q.code: _answer(rng, q) for q in indicator.questions}
        # Ratings skewed towards the middle, as in real assessments.
        scenes = {s.code: rng.choice((0, 1, 1, 2, 2, 2, 3, 3, 4)) for s in indicator.scenes}
        document: dict[str, Any] = {
            "indicator_version": indicator.version,
            "answers": answers,
            "scenes": scenes,
        }
        if rng.random() < 0.5:
            total = rng.randint(1, 400)
            data = {"equipment_total": total}
            for q in indicator.questions:
                if q.data_part:
                    part = rng.randint(0, total)
                    data[q.data_part] = part
                    answers[q.code] = _band(q, part, total)
            document["data"] = data
        yield document


def floor_inputs(
    indicator: Indicator, documents: list[dict[str, Any]]
) -> list[tuple[list[Decimal], list[int], list[int]]]:
    """Each document as a flat list of the points of its chosen options and its ratings."""
    inputs = []
    for doc in documents:
        points = []
        for q in indicator.questions:
            table = {o.code: o.points for o in q.options}
            value = doc["answers"][q.code]
            points += [table[c] for c in value] if isinstance(value, list) else [table[value]]
        ratings = [doc["scenes"][s.code] for s in indicator.scenes]
        constraint = [doc["scenes"][s.code] for s in indicator.scenes if s.constraint]
        inputs.append((points, ratings, constraint))
    return inputs


def run_scoring(indicator: Indicator, documents: list[dict[str, Any]]) -> tuple[float, Counter]:
    levels: Counter[int] = Counter()
    start = CLOCK()
    for doc in documents:
        answers, scenes, data = doc["answers"], doc["scenes"], doc.get("data")
        if validate_answers(answers, scenes, data, indicator, complete=True):
            raise SystemExit("a generated document is invalid")
        levels[score(answers, scenes, data, indicator).level] += 1
    return CLOCK() - start, levels


def run_floor(inputs: list[tuple[list[Decimal], list[int], list[int]]]) -> tuple[float, Decimal]:
    grand = ZERO
    start = CLOCK()
    for points, ratings, constraint in inputs:
        total = sum(points, ZERO)
        at = [0, 0, 0, 0, 0]
        for r in ratings:
            at[r] += 1
        cat = [0, 0, 0, 0, 0]
        for r in constraint:
            cat[r] += 1
        grand += total
    return CLOCK() - start, grand


def run_score_only(indicator: Indicator, documents: list[dict[str, Any]]) -> tuple[float, None]:
    start = CLOCK()
    for doc in documents:
        score(doc["answers"], doc["scenes"], doc.get("data"), indicator)  # validates as well
    return CLOCK() - start, None


def run_evaluate(indicator: Indicator, documents: list[dict[str, Any]]) -> tuple[float, None]:
    indicators = {indicator.version: indicator}
    start = CLOCK()
    for doc in documents:
        if not evaluate_document(doc, indicators)["valid"]:
            raise SystemExit("a generated document is invalid")
    return CLOCK() - start, None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=5, help="best of N interleaved runs")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    indicator = default_indicator()
    documents = generate(indicator, args.documents, args.seed)
    inputs = floor_inputs(indicator, documents)

    # Interleaved, so that a busy moment on the machine does not fall on one side only.
    runs: dict[str, list[float]] = {"scoring": [], "floor": [], "score": [], "evaluate": []}
    levels: Counter[int] = Counter()
    for _ in range(args.repeat):
        gc.collect()
        seconds, levels = run_scoring(indicator, documents)
        runs["scoring"].append(seconds)
        gc.collect()
        runs["floor"].append(run_floor(inputs)[0])
        gc.collect()
        runs["score"].append(run_score_only(indicator, documents)[0])
        gc.collect()
        runs["evaluate"].append(run_evaluate(indicator, documents)[0])
    seconds, floor_seconds, score_seconds, evaluate_seconds = (
        min(runs[k]) for k in ("scoring", "floor", "score", "evaluate")
    )

    n = len(documents)
    print(f"levels: {dict(sorted(levels.items()))}", file=sys.stderr)
    for label, value in (
        ("validate_answers + score", seconds),
        ("floor (sum points, count ratings)", floor_seconds),
        ("score alone (it validates too)", score_seconds),
        ("evaluate_document (§3.1 JSON)", evaluate_seconds),
    ):
        print(f"{label}: {value:.3f} s, {value / n * 1e6:.1f} µs per document", file=sys.stderr)
    print(
        json.dumps(
            {
                "name": "scoring",
                "documents": n,
                "seconds": round(seconds, 3),
                "floor_seconds": round(floor_seconds, 3),
                "ratio": round(seconds / floor_seconds, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
