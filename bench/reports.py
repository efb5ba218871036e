"""Benchmark: PDF reports against a WeasyPrint-only floor for the same final HTML.

Needs DATABASE_URL pointing at a PostgreSQL benchmark database (name containing "bench").
Data: 100 cities and 200,000 enterprises (bench.generate), one confirmed level per enterprise.
The city report of the city closest to 2,000 enterprises and the national report are each
measured in a fresh process (`python -m bench.reports --one city|national`), not in the process
that generated and loaded the data:
- total: snapshot (queries, dashboard cache cold) + HTML + WeasyPrint layout + PDF, as a report
  job does it;
- floor: WeasyPrint layout + PDF alone, for the same final HTML, in the same process.
Before either, the process renders a one-line template and lays it out with the reports'
stylesheet: neither figure includes the one-off start-up of Django's template engine and of
WeasyPrint (fontconfig, the CJK font's first load), which a worker pays once, not per report.
The report's own templates are still loaded and compiled inside the total.
`peak_rss_mb`: the measuring process's own peak resident set (VmHWM) after its first total run,
before any floor run. With `--repeat N` total and floor runs alternate N times; best of each.
One JSON line each: {"name": "report_city" | "report_national", "enterprises" | "cities": …,
"pages": …, "seconds": …, "floor_seconds": …, "ratio": …, "overhead_pct": …, "peak_rss_mb": …}

For working on the reports: `--keep-data` leaves the roster in the database after the run,
`--reuse-data` measures the roster already there (from an earlier `--keep-data` run).

`--pilot` (issue 15): the city report with its pilot-management sections (funnel, funds,
provider league, scorecard, overdue lists, samples) of the largest city, by enterprises, among
those with projects and a funds ledger, on the pilot data set of `bench.pilot` (100 cities,
100,000 enterprises, 60,000 projects, ledgers, baseline levels). With `--reuse` a data set already
in the database (`bench.pilot.pilot_loaded`, e.g. the one `bench.funds --keep` leaves) is only
read: no migration, nothing emptied. The data set has no scorecard, so the measuring process adds
the demo's (`demo.services.DEMO_SCORECARD`, all six indicators) to the city's batch inside a
transaction it rolls back: the scorecard section is computed as in production and the database
is left as it was. One JSON line: {"name": "report_city_pilot", "enterprises": …, "projects": …,
…the figures above}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import resource
import subprocess
import sys
import time
from typing import Any

from bench.setup import empty_enterprise_tables, load_roster, open_bench_database

WARM_UP_TEMPLATE = (
    '<html lang="zh-CN"><head><link rel="stylesheet" href="static:reports/pdf.css"></head>'
    "<body><p>{{ text }} 0123456789</p></body></html>"
)


def _warm_up() -> None:
    """Pay the process's one-off start-up before measuring: Django's template engine (it imports
    every installed app's template tag libraries on first use) and WeasyPrint (fontconfig, the
    CJK font's first load), with a one-line document that is not a report."""
    from django.template import engines

    from reports import rendering

    html = engines["django"].from_string(WARM_UP_TEMPLATE).render({"text": "预热"})
    rendering.render_html_document(html).write_pdf()


def _store_levels(seed: int = 5) -> None:
    from django.db import connection
    from django.utils import timezone

    from assessments.models import Assessment
    from cities.models import Enterprise

    rng = random.Random(seed)
    now = timezone.now()
    start = dt.date(2024, 3, 1)
    rows = [
        Assessment(
            enterprise_id=pk,
            purpose="baseline",
            method="onsite",
            state="confirmed",
            source="import",
            level=rng.choices([0, 1, 2, 3, 4], weights=[10, 35, 35, 15, 5])[0],
            assessed_on=start + dt.timedelta(days=rng.randint(0, 900)),
            confirmed_at=now,
        )
        for pk in Enterprise.objects.values_list("id", flat=True)
    ]
    Assessment.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _peak_rss_mb() -> float:
    """This process's peak resident set size. On Linux from VmHWM, the high-water mark of this
    process's own memory since its exec: `ru_maxrss` of a child also counts the RSS its parent
    had when it forked (here the data generator's), so it is only the fallback elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _measure(kind: str, repeat: int, **params: str) -> dict[str, object]:
    """Runs in the child process: the report `repeat` times, each followed by its floor."""
    from oversight import dashboard_cache
    from reports import rendering, snapshots

    _warm_up()
    gc.collect()
    totals: list[float] = []
    floors: list[float] = []
    pages = 0
    peak = 0.0
    for run in range(1, repeat + 1):
        dashboard_cache.invalidate_all()  # cold: the dashboard figures are computed again
        t0, cpu0 = time.perf_counter(), time.process_time()
        snapshot = snapshots.build_snapshot(kind, **params)  # type: ignore[arg-type]
        digest = snapshots.snapshot_hash(snapshot)
        t1 = time.perf_counter()
        html = rendering.render_html(kind, snapshot, snapshot_hash=digest)
        t2 = time.perf_counter()
        document = rendering.render_html_document(html)
        pdf = document.write_pdf()
        t3, cpu3 = time.perf_counter(), time.process_time()
        totals.append(t3 - t0)
        pages = len(document.pages)
        if not peak:  # the first report run's own peak, before any floor run
            peak = _peak_rss_mb()
        del snapshot, document
        gc.collect()

        t4, cpu4 = time.perf_counter(), time.process_time()
        floor_pdf = rendering.render_html_document(html).write_pdf()
        t5, cpu5 = time.perf_counter(), time.process_time()
        floors.append(t5 - t4)
        assert len(floor_pdf) > 0 and len(pdf) > 0
        del floor_pdf, pdf
        gc.collect()
        # The details, on stderr: wall seconds per step, and this process's CPU seconds (the
        # database server's work shows in the snapshot's wall time only).
        print(
            f"{kind} run {run}: snapshot {t1 - t0:.3f} + html {t2 - t1:.3f} + weasyprint "
            f"{t3 - t2:.3f} = {t3 - t0:.3f} s (cpu {cpu3 - cpu0:.3f}); floor {t5 - t4:.3f} s "
            f"(cpu {cpu5 - cpu4:.3f})",
            file=sys.stderr,
            flush=True,
        )
    total, floor = min(totals), min(floors)
    return {
        "pages": pages,
        "seconds": round(total, 3),
        "floor_seconds": round(floor, 3),
        "ratio": round(total / floor, 3),
        "overhead_pct": round(100 * (total - floor) / floor, 1),
        "peak_rss_mb": peak,
    }


def _add_scorecard(city: str) -> None:
    """A scorecard for the city's batch, unless it has one (call inside a transaction)."""
    from decimal import Decimal

    from cities.models import PilotCity
    from demo.services import DEMO_SCORECARD
    from oversight.models import Scorecard, ScorecardIndicator

    batch = PilotCity.objects.get(code=city).batch
    if Scorecard.objects.filter(batch=batch).exists():
        return
    sc = Scorecard.objects.create(
        batch=batch, version=1, label="基准测试评分卡", valid_from=dt.date(2024, 1, 1)
    )
    for key, weight, cap in DEMO_SCORECARD:
        ScorecardIndicator.objects.create(
            scorecard=sc, key=key, weight=Decimal(weight), cap=None if cap is None else Decimal(cap)
        )


def _one(kind: str, city: str | None, repeat: int, scorecard: bool = False) -> int:
    """Child process: measure one report, print its figures as one JSON line."""
    from bench.import_enterprises import _require_bench_database, _setup_django

    _require_bench_database()
    _setup_django()
    from django.db import transaction

    params = {"city_code": city} if kind == "city" and city else {}
    with transaction.atomic():
        if scorecard and city:
            _add_scorecard(city)
        figures = _measure(kind, repeat, **params)
        transaction.set_rollback(True)  # the bench database is left as it was
    print(json.dumps(figures), flush=True)
    return 0


def _in_fresh_process(
    kind: str, repeat: int, city: str | None = None, scorecard: bool = False
) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.reports", "--one", kind, "--repeat", str(repeat)]
    if city:
        cmd += ["--city", city]
    if scorecard:
        cmd += ["--scorecard"]
    # Its details go straight to our stderr as they come; its last stdout line is the figures.
    done = subprocess.run(
        cmd, env=os.environ.copy(), stdout=subprocess.PIPE, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} report run failed (exit {done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="PDF reports vs WeasyPrint alone")
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--target", type=int, default=2_000, help="city report size")
    parser.add_argument("--repeat", type=int, default=2, help="best of N runs of each")
    parser.add_argument("--keep-data", action="store_true", help="leave the roster loaded")
    parser.add_argument("--reuse-data", action="store_true", help="use the roster already loaded")
    parser.add_argument("--pilot", action="store_true", help="the city report on the pilot data")
    parser.add_argument("--reuse", action="store_true", help="--pilot: read the data set there")
    parser.add_argument("--projects", type=int, default=60_000, help="--pilot: projects")
    parser.add_argument("--one", choices=("city", "national"), help=argparse.SUPPRESS)
    parser.add_argument("--city", help=argparse.SUPPRESS)
    parser.add_argument("--scorecard", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        return _one(args.one, args.city, max(1, args.repeat), args.scorecard)
    if args.pilot:
        return _pilot(args)

    open_bench_database()
    from django.db import connections
    from django.db.models import Count

    from cities.models import PilotCity

    if not args.reuse_data:
        load_roster(cities=100, enterprises=args.enterprises)
        _store_levels()
    try:
        sizes = PilotCity.objects.annotate(n=Count("enterprises")).values_list("code", "n")
        code, size = min(sizes, key=lambda cs: abs(cs[1] - args.target))
        n_cities = PilotCity.objects.count()
        connections.close_all()  # the children have the database to themselves
        repeat = max(1, args.repeat)
        city = {
            "name": "report_city",
            "enterprises": size,
            **_in_fresh_process("city", repeat, city=code),
        }
        national = {"name": "report_national", "cities": n_cities}
        national.update(_in_fresh_process("national", repeat))
    finally:
        if not (args.keep_data or args.reuse_data):
            empty_enterprise_tables()
    print(json.dumps(city))
    print(json.dumps(national))
    return 0


def _pilot(args: argparse.Namespace) -> int:
    """The city report of the largest city with projects and funds, on the pilot data set."""
    from bench.import_enterprises import _require_bench_database, _setup_django

    if args.reuse:
        _require_bench_database()
        _setup_django()  # read only: no migration
    else:
        open_bench_database()
    from django.db import connections
    from django.db.models import Count, Exists, OuterRef

    from bench.pilot import load_pilot, pilot_loaded
    from cities.models import PilotCity
    from funds.models import LedgerEntry
    from projects.models import Project

    if args.reuse:
        if not pilot_loaded(projects=args.projects, baselines=True):
            raise SystemExit("--reuse: the database holds no pilot data set of that size")
    else:
        load_pilot(cities=100, enterprises=args.enterprises, projects=args.projects, baselines=True)
    with_projects = Project.objects.filter(enterprise__city=OuterRef("pk"))
    with_funds = LedgerEntry.objects.filter(city=OuterRef("pk"))
    code, size = PilotCity.objects.filter(Exists(with_projects), Exists(with_funds)).annotate(
        n=Count("enterprises")
    ).order_by("-n", "code").values_list("code", "n").first() or (None, 0)
    if code is None:
        raise SystemExit("no city has both projects and a funds ledger")
    projects = Project.objects.filter(enterprise__city__code=code).count()
    connections.close_all()
    try:
        figures = _in_fresh_process("city", max(1, args.repeat), city=code, scorecard=True)
    finally:
        if not (args.keep_data or args.reuse):
            empty_enterprise_tables()
    print(
        json.dumps(
            {
                "name": "report_city_pilot",
                "city": code,
                "enterprises": size,
                "projects": projects,
                **figures,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
