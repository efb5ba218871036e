"""Benchmark: what the kept data's triggers add to one write, against the same write with no
trigger firing, in the same run (docs/rules.md "Kept project counters", "Kept project levels").

`bench.compliance` runs it on its data set after the dashboards (so `make bench` reports it at
both scales); alone, it needs DATABASE_URL pointing at a PostgreSQL benchmark database (name
containing "bench") that already holds a data set (`bench.compliance --keep`). It writes
nothing that stays: every statement runs in its own transaction, rolled back.

For each kind of write, `--samples` rows are picked at random and each is written once with the
triggers (as in production) and once with `session_replication_role = replica` (no trigger
fires: the floor), alternating, each timed from the statement's start to its end inside the
transaction. Kinds:
- `project_accepted_undone`: an accepted project (no subsidy yet) loses its acceptance date:
  the funnel, queue and uplift counters and the kept after-level all move;
- `project_rated`: an accepted project's satisfaction changes (counters only);
- `assessment_level_corrected`: a confirmed on-site post assessment of an enterprise with an
  accepted project gets another level: the project's kept levels are recomputed, then its
  counters;
- `assessment_autosave`: a self-assessment's answers rewritten (no kept data moves; the
  statement triggers run and find nothing).
Last line per kind: {"name": "trigger_cost", "write": …, "samples": …, "median_ms": …,
"floor_median_ms": …, "ratio": …}
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time

from bench.setup import open_bench_database

PICK = {
    "project_accepted_undone": (
        "SELECT id FROM projects_project WHERE accepted_on IS NOT NULL "
        "AND subsidy_approved_on IS NULL"
    ),
    "project_rated": "SELECT id FROM projects_project WHERE accepted_on IS NOT NULL",
    "assessment_level_corrected": (
        "SELECT a.id FROM assessments_assessment a JOIN projects_project p "
        "ON p.enterprise_id = a.enterprise_id WHERE p.accepted_on IS NOT NULL "
        "AND a.state = 'confirmed' AND a.method = 'onsite' AND a.purpose = 'post'"
    ),
    "assessment_autosave": "SELECT id FROM assessments_assessment WHERE method = 'self'",
}
WRITE = {
    "project_accepted_undone": (
        "UPDATE projects_project SET accepted_on = NULL, after_level = NULL WHERE id = %s"
    ),
    "project_rated": (
        "UPDATE projects_project SET satisfaction = "
        "CASE WHEN satisfaction = 5 THEN 4 ELSE 5 END WHERE id = %s"
    ),
    "assessment_level_corrected": (
        "UPDATE assessments_assessment SET level = (level + 1) %% 5 WHERE id = %s"
    ),
    "assessment_autosave": "UPDATE assessments_assessment SET answers = answers WHERE id = %s",
}


def _timed(cursor, sql: str, pk: int, *, floor: bool) -> float:
    cursor.execute("BEGIN")
    try:
        if floor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        start = time.perf_counter()
        cursor.execute(sql, [pk])
        return time.perf_counter() - start
    finally:
        cursor.execute("ROLLBACK")


def measure(samples: int = 40, seed: int = 1) -> list[dict[str, object]]:
    """One JSON-ready line per kind of write with rows in the data set (the others are named on
    stderr). Needs Django set up on the bench database."""
    from django.db import connection

    rng = random.Random(seed)
    lines: list[dict[str, object]] = []
    connection.ensure_connection()
    raw = connection.connection
    autocommit = raw.autocommit
    raw.autocommit = True
    try:
        with raw.cursor() as cursor:
            for kind, pick in PICK.items():
                cursor.execute(f"{pick} ORDER BY id LIMIT 200000")
                ids = [row[0] for row in cursor.fetchall()]
                if not ids:
                    print(f"{kind}: no rows to write in this data set", file=sys.stderr)
                    continue
                sample = rng.sample(ids, min(samples, len(ids)))
                _timed(cursor, WRITE[kind], sample[0], floor=False)  # plans, caches
                _timed(cursor, WRITE[kind], sample[0], floor=True)
                real, floor = [], []
                for pk in sample:
                    real.append(_timed(cursor, WRITE[kind], pk, floor=False))
                    floor.append(_timed(cursor, WRITE[kind], pk, floor=True))
                median, floor_median = statistics.median(real), statistics.median(floor)
                lines.append(
                    {
                        "name": "trigger_cost",
                        "write": kind,
                        "samples": len(sample),
                        "median_ms": round(median * 1000, 3),
                        "floor_median_ms": round(floor_median * 1000, 3),
                        "ratio": round(median / floor_median, 2),
                    }
                )
    finally:
        raw.autocommit = autocommit
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="trigger cost of one write vs no trigger")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    open_bench_database()
    for line in measure(args.samples, args.seed):
        print(json.dumps(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
