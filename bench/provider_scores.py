"""Benchmark: `manage.py provider_scores --all` (domain §4.5, the §4.6 JSON) at national scale
against a hand-written SQL floor in the same run.

Needs DATABASE_URL pointing at a PostgreSQL benchmark database (name containing "bench").
National scale: 100 cities, 100,000 enterprises, 60,000 projects, ~600 providers in 5-12 city
libraries each (~850 library entries), the after-levels of the accepted projects and the
baseline levels of ~85% of the project enterprises, all loaded through `import_data`
(`bench.pilot`, the data set `bench.funds` uses: `--reuse` one of them leaves).
1. floor: one hand-written SQL statement: every library entry of every city with its provider's
   project counts and sums (projects, accepted, failed, on-time and completed, uplift and
   satisfaction sums and counts), the baseline as the earliest confirmed on-site baseline by the
   day (`DISTINCT ON`) and the after-level as the latest confirmed on-site post assessment from
   completion to acceptance (`LATERAL`); the four divisions, the score and the stars finished in
   Python;
2. `manage.py provider_scores --all --as-of …`: every city's providers, one JSON line per city.
Every provider's metrics, score and stars are compared, city by city. Best of `--repeat` runs
of each, and the median of each run's own ratio (the command right after the floor).
Last line: {"name": "provider_scores_all", "cities": 100, "providers": …, "seconds": …,
"floor_seconds": …, "ratio": …, "median_ratio": …}
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import statistics
import sys
import time
from fractions import Fraction
from typing import Any

from bench.memory import Peaks
from bench.setup import empty_enterprise_tables, on_cpu_seconds, open_bench_database

# Projects run to 2026-11: this day leaves some outcomes, completions and selections out.
AS_OF = dt.date(2026, 6, 30)
CONFIRMED_ONSITE = "a.state = 'confirmed' AND a.method = 'onsite'"

FLOOR_SQL = f"""
WITH baseline AS (
    SELECT DISTINCT ON (a.enterprise_id) a.enterprise_id, a.level
    FROM assessments_assessment a
    WHERE {CONFIRMED_ONSITE} AND a.purpose = 'baseline' AND a.assessed_on <= %(as_of)s
    ORDER BY a.enterprise_id, a.assessed_on, a.confirmed_at, a.id
), facts AS (
    SELECT e.city_id, p.provider_id,
           p.accepted_on <= %(as_of)s AS accepted,
           p.acceptance_failed_on <= %(as_of)s AND NOT COALESCE(p.accepted_on <= %(as_of)s, false)
               AS failed,
           CASE WHEN p.completed_on <= %(as_of)s THEN p.completed_on END AS completed_on,
           p.planned_completion_on, p.satisfaction, b.level AS baseline, after.level AS after
    FROM projects_project p
    JOIN cities_enterprise e ON e.id = p.enterprise_id
    LEFT JOIN baseline b ON b.enterprise_id = p.enterprise_id
    LEFT JOIN LATERAL (
        SELECT a.level FROM assessments_assessment a
        WHERE a.enterprise_id = p.enterprise_id AND {CONFIRMED_ONSITE} AND a.purpose = 'post'
          AND a.assessed_on BETWEEN p.completed_on AND p.accepted_on
        ORDER BY a.assessed_on DESC, a.confirmed_at DESC NULLS LAST, a.id DESC
        LIMIT 1
    ) after ON p.accepted_on <= %(as_of)s
    WHERE p.provider_id IS NOT NULL AND p.provider_selected_on <= %(as_of)s
)
SELECT c.code, pr.uscc, pr.name, le.status,
       COUNT(f.provider_id),
       COUNT(*) FILTER (WHERE f.accepted),
       COUNT(*) FILTER (WHERE f.failed),
       COALESCE(SUM(f.after - f.baseline) FILTER (WHERE f.accepted), 0),
       COUNT(f.after - f.baseline) FILTER (WHERE f.accepted),
       COALESCE(SUM(f.satisfaction) FILTER (WHERE f.accepted), 0),
       COUNT(f.satisfaction) FILTER (WHERE f.accepted),
       COUNT(*) FILTER (WHERE f.completed_on <= f.planned_completion_on),
       COUNT(f.completed_on)
FROM providers_libraryentry le
JOIN cities_pilotcity c ON c.id = le.city_id
JOIN providers_provider pr ON pr.uscc = le.provider_uscc
LEFT JOIN facts f ON f.city_id = le.city_id AND f.provider_id = pr.id
GROUP BY c.code, pr.uscc, pr.name, le.status
ORDER BY c.code, pr.uscc
"""


def _finish(row: tuple[Any, ...], scoring: Any) -> dict[str, Any]:
    """A floor row as the §4.6 provider JSON: the divisions, the score and the stars."""
    from projects.provider_rules import round_half_up, stars_for

    _, uscc, name, status, projects, accepted, failed, *sums = row
    uplift_sum, uplifts, satisfaction_sum, ratings, on_time, completed = sums

    def ratio(part: int, whole: int) -> Fraction | None:
        return Fraction(part, whole) if whole else None

    def text(value: Fraction | None) -> str | None:
        return None if value is None else f"{round_half_up(value, 4):f}"

    acceptance = ratio(accepted, accepted + failed)
    uplift = ratio(uplift_sum, uplifts)
    satisfaction = ratio(satisfaction_sum, ratings)
    on_time_rate = ratio(on_time, completed)
    cap = Fraction(scoring.uplift_cap)
    score = round_half_up(
        100
        * (
            Fraction(scoring.w_acceptance) * (acceptance or 0)
            + Fraction(scoring.w_uplift)
            * (min(max(uplift, Fraction(0)), cap) / cap if uplift else 0)
            + Fraction(scoring.w_satisfaction) * ((satisfaction - 1) / 4 if satisfaction else 0)
            + Fraction(scoring.w_on_time) * (on_time_rate or 0)
        ),
        1,
    )
    return {
        "uscc": uscc,
        "name": name,
        "status": status,
        "projects": projects,
        "accepted": accepted,
        "failed": failed,
        "acceptance_rate": text(acceptance),
        "mean_uplift": text(uplift),
        "mean_satisfaction": text(satisfaction),
        "on_time_rate": text(on_time_rate),
        "score": f"{score:f}",
        "stars": stars_for(score, scoring.bands)
        if accepted + failed >= scoring.min_outcomes
        else None,
    }


def _floor(scoring: Any) -> tuple[float, float, dict[str, list[dict[str, Any]]]]:
    from django.db import connection

    cpu = on_cpu_seconds()
    started = time.perf_counter()
    by_city: dict[str, list[dict[str, Any]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, {"as_of": AS_OF})
        for row in cursor.fetchall():
            by_city.setdefault(row[0], []).append(_finish(row, scoring))
    elapsed, cpu = time.perf_counter() - started, on_cpu_seconds() - cpu
    return elapsed, cpu, by_city


def _command() -> tuple[float, float, list[dict[str, Any]]]:
    from django.core.management import call_command

    out = io.StringIO()
    cpu = on_cpu_seconds()
    started = time.perf_counter()
    call_command("provider_scores", "--all", "--as-of", AS_OF.isoformat(), stdout=out)
    elapsed, cpu = time.perf_counter() - started, on_cpu_seconds() - cpu
    return elapsed, cpu, [json.loads(line) for line in out.getvalue().splitlines()]


def _compare(floor: dict[str, list[dict[str, Any]]], docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        expected = floor.get(doc["city"], [])
        assert len(doc["providers"]) == len(expected), doc["city"]
        for got, want in zip(doc["providers"], expected, strict=True):
            assert got == want, (doc["city"], got, want)
    assert set(floor) <= {d["city"] for d in docs}, "the floor lists other cities"


def _ensure_scoring() -> None:
    """The first scoring version, as its data migration stores it: emptying the roster with
    `TRUNCATE … CASCADE` empties the users and, through them, the scoring versions."""
    import importlib

    from projects.models import ProviderScoring

    v1 = importlib.import_module("projects.migrations.0006_provider_scoring_v1").V1
    ProviderScoring.objects.get_or_create(version=v1["version"], defaults=v1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="provider_scores --all vs a hand-written floor")
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each; the best counts")
    parser.add_argument("--keep", action="store_true", help="leave the data set for profiling")
    parser.add_argument(
        "--reuse", action="store_true", help="use the data set a --keep run left, if any"
    )
    args = parser.parse_args(argv)

    open_bench_database()
    from bench.pilot import load_pilot, pilot_loaded
    from projects.selectors.provider_scores import scoring_for

    if args.reuse and pilot_loaded(projects=args.projects, baselines=True):
        print("reusing the data set in the database", file=sys.stderr)
    else:
        started = time.perf_counter()
        load_pilot(cities=100, enterprises=args.enterprises, projects=args.projects, baselines=True)
        print(f"data set loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    _ensure_scoring()
    scoring = scoring_for(AS_OF).terms()
    seconds = floor = float("inf")
    ratios, cpu_ratios = [], []
    cpu = floor_cpu = float("inf")
    peaks = Peaks()
    try:
        for _ in range(args.repeat):
            f, f_cpu, floor_docs = _floor(scoring)
            with peaks.measure():
                s, s_cpu, docs = _command()
            ratios.append(s / f)
            cpu_ratios.append(s_cpu / f_cpu)
            floor, seconds = min(floor, f), min(seconds, s)
            floor_cpu, cpu = min(floor_cpu, f_cpu), min(cpu, s_cpu)
        _compare(floor_docs, docs)
    finally:
        if not (args.keep or args.reuse):
            empty_enterprise_tables()
    providers = sum(len(d["providers"]) for d in docs)
    rated = sum(1 for d in docs for p in d["providers"] if p["stars"] is not None)
    print(
        f"provider_scores --all: {seconds:.3f} s for {len(docs)} cities, {providers} providers "
        f"({rated} rated); floor {floor:.3f} s; "
        f"per-run ratios {', '.join(f'{r:.2f}' for r in ratios)}; on a CPU (this process and its "
        f"PostgreSQL backend) {cpu:.4f} s against {floor_cpu:.4f} s, per-run "
        f"{', '.join(f'{r:.2f}' for r in cpu_ratios)}",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "name": "provider_scores_all",
                "cities": len(docs),
                "projects": args.projects,
                "providers": providers,
                "rated": rated,
                "seconds": round(seconds, 3),
                "floor_seconds": round(floor, 3),
                "ratio": round(seconds / floor, 2),
                "median_ratio": round(statistics.median(ratios), 2),
                "cpu_seconds": round(cpu, 4),
                "floor_cpu_seconds": round(floor_cpu, 4),
                "cpu_ratio": round(cpu / floor_cpu, 2),
                **peaks.as_json(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
