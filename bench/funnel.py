"""Benchmark: `manage.py funnel --all` (domain §4.6) at national scale against a hand-written SQL
floor in the same run.

Needs DATABASE_URL pointing at a PostgreSQL benchmark database (name containing "bench").
National scale: 100 cities, 100,000 enterprises, 60,000 projects spread over every stage (with
provider libraries, investment lines, subsidy rules and after-levels: `bench.generate_pilot`),
all loaded through `import_data` (`bench.pilot`).
1. floor: one hand-written SQL GROUP BY over every city's sub-industries (LEFT JOINs, so empty
   ones count zeros) with conditional counts for the ten stages, the three outcomes and both
   overdue rules (PostgreSQL's `date + interval 'N months'` clamps the day to the month's end,
   as §4.6 asks);
2. `manage.py funnel --all --as-of …`: `projects.selectors.funnel.city_funnel` for each of the
   100 cities, printed as JSON lines.
The two runs' numbers are compared city by city and sub-industry by sub-industry, so the floor
computes the same thing. The best of `--repeat` runs of each counts. Also reported (stderr and
extra fields): the city dashboard's funnel section for the largest city and the national
dashboard's funnel totals of all cities, computed without the cache.
Last line: {"name": "funnel_all", "cities": 100, "projects": …, "seconds": …,
"floor_seconds": …, "ratio": …, …}
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sys
import time
from typing import Any

from bench.memory import Peaks
from bench.setup import empty_enterprise_tables, open_bench_database

STAGES = (
    "applied",
    "admitted",
    "diagnosed",
    "provider_selected",
    "contract_filed",
    "completed",
    "acceptance_applied",
    "accepted",
    "subsidy_approved",
    "subsidy_paid",
)
# `funnel --all` runs as of today (Django's local date), as the dashboards default to: the stages
# and outcomes come from the kept counters (`ProjectCount`). The generator's dates all lie before
# 2026-11-01, so `PAST` (a day in the past, which still counts from the dates) sees the same
# projects.
PAST = dt.date(2026, 11, 30)


def _not_by(column: str) -> str:
    return f"(p.{column} IS NULL OR p.{column} > %(as_of)s)"


FLOOR_SQL = f"""
SELECT c.code, s.code,
       {", ".join(f"COUNT(p.id) FILTER (WHERE p.{s}_on <= %(as_of)s)" for s in STAGES)},
       COUNT(p.id) FILTER (WHERE p.rejected_on <= %(as_of)s),
       COUNT(p.id) FILTER (WHERE p.withdrawn_on <= %(as_of)s),
       COUNT(p.id) FILTER (WHERE p.acceptance_failed_on <= %(as_of)s),
       COUNT(p.id) FILTER (WHERE p.completed_on <= %(as_of)s
                             AND {_not_by("acceptance_applied_on")} AND {_not_by("withdrawn_on")}
                             AND (p.completed_on
                                  + make_interval(months => b.acceptance_window_months))::date
                                 < %(as_of)s),
       COUNT(p.id) FILTER (WHERE p.planned_completion_on < %(as_of)s
                             AND {_not_by("completed_on")} AND {_not_by("withdrawn_on")})
FROM cities_subindustry s
JOIN cities_pilotcity c ON c.id = s.city_id
JOIN cities_pilotbatch b ON b.id = c.batch_id
LEFT JOIN cities_enterprise e ON e.sub_industry_id = s.id AND e.city_id = c.id
LEFT JOIN projects_project p ON p.enterprise_id = e.id
GROUP BY c.code, s.code
"""

Counts = dict[tuple[str, str], tuple[int, ...]]


def _floor(as_of: dt.date) -> tuple[float, Counts]:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, {"as_of": as_of})
        rows = cursor.fetchall()
    elapsed = time.perf_counter() - started
    return elapsed, {(r[0], r[1]): tuple(r[2:]) for r in rows}


def _city_totals(floor: Counts) -> dict[str, tuple[int, ...]]:
    totals: dict[str, list[int]] = {}
    for (city, _), values in floor.items():
        current = totals.setdefault(city, [0] * len(values))
        for i, v in enumerate(values):
            current[i] += v
    return {city: tuple(v) for city, v in totals.items()}


def _command(as_of: dt.date) -> tuple[float, list[dict[str, Any]]]:
    from django.core.management import call_command

    out = io.StringIO()
    started = time.perf_counter()
    call_command("funnel", "--all", "--as-of", as_of.isoformat(), stdout=out)
    elapsed = time.perf_counter() - started
    return elapsed, [json.loads(line) for line in out.getvalue().splitlines()]


def _compare(floor: Counts, docs: list[dict[str, Any]]) -> None:
    totals = _city_totals(floor)
    for doc in docs:
        city = doc["city"]
        got = (
            *(doc["reached"][s] for s in STAGES),
            doc["rejected"],
            doc["withdrawn"],
            doc["acceptance_failed"],
            doc["overdue"]["acceptance"],
            doc["overdue"]["completion"],
        )
        assert got == totals[city], (city, got, totals[city])
        for sub in doc["by_sub_industry"]:
            expected = floor[(city, sub["code"])][: len(STAGES)]
            assert tuple(sub["reached"][s] for s in STAGES) == expected, (city, sub)
    assert {d["city"] for d in docs} == set(totals), "the command and the floor list other cities"


def _dashboard_timings() -> dict[str, float]:
    """The dashboards' funnel reads, computed (no cache): the largest city's section, and the
    national funnel totals of every city (one GROUP BY), as of today (the kept counters) and as
    of a past day (the projects' dates)."""
    from django.db.models import Count
    from django.utils import timezone

    from cities.models import PilotCity
    from oversight.selectors.dashboard.funnel import city_project_funnel, funnel_totals

    city = (
        PilotCity.objects.select_related("batch")
        .annotate(n=Count("enterprises__projects"))
        .order_by("-n")
        .first()
    )
    assert city is not None
    ids = list(PilotCity.objects.values_list("pk", flat=True))
    found: dict[str, float] = {}
    for when, as_of in (("", timezone.localdate()), ("_past", PAST)):
        section = totals = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            city_project_funnel(city=city, as_of=as_of)
            section = min(section, time.perf_counter() - started)
            started = time.perf_counter()
            funnel_totals(ids, as_of)
            totals = min(totals, time.perf_counter() - started)
        print(
            f"as of {as_of}: city dashboard funnel section ({city.code}, "
            f"{city.n} projects): {section:.3f} s; national funnel totals: {totals:.3f} s",  # type: ignore[attr-defined]
            file=sys.stderr,
        )
        found[f"city_section{when}_seconds"] = round(section, 3)
        found[f"national_totals{when}_seconds"] = round(totals, 3)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="funnel --all vs a hand-written GROUP BY")
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--keep", action="store_true", help="leave the data set for profiling")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the data set a --keep run left (no load)"
    )
    args = parser.parse_args(argv)

    open_bench_database()
    from django.utils import timezone

    from bench.pilot import load_pilot

    if not args.reuse:
        started = time.perf_counter()
        load_pilot(cities=100, enterprises=args.enterprises, projects=args.projects)
        print(f"data set loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    today = timezone.localdate()
    seconds = floor = float("inf")
    peaks = Peaks()
    try:
        for _ in range(args.repeat):
            f, floor_counts = _floor(today)
            with peaks.measure():
                s, docs = _command(today)
            floor, seconds = min(floor, f), min(seconds, s)
        _compare(floor_counts, docs)
        pages = _dashboard_timings()
    finally:
        if not args.keep and not args.reuse:
            empty_enterprise_tables()
    print(
        f"funnel --all: {seconds:.3f} s for {len(docs)} cities; floor {floor:.3f} s",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "name": "funnel_all",
                "cities": len(docs),
                "projects": args.projects,
                "seconds": round(seconds, 3),
                "floor_seconds": round(floor, 3),
                "ratio": round(seconds / floor, 2),
                **peaks.as_json(),
                **pages,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
