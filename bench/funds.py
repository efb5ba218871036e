"""Benchmark: `manage.py funds --all` (domain §4.4, the §4.6 JSON) at national scale against a
hand-written SQL floor in the same run.

Needs DATABASE_URL pointing at a PostgreSQL benchmark database (name containing "bench").
National scale: 100 cities, 100,000 enterprises, 60,000 projects (their approved and paid
subsidies) and ~5,000 ledger entries (three central tranches within each award cap, local
receipts, expenses of both sources in every category within the 20% rule, ~1% of the expenses
reversed), all loaded through `import_data` (`bench.pilot`; the reversals through the service).
1. floor: one hand-written SQL statement: the ledger summed by city with `FILTER` per kind,
   source and category (a reversal counts negative, as `funds.selectors.SIGNED_AMOUNT`), the
   projects' approved and paid subsidies by city, each city's award cap and batch shares; the
   shares, the two rules and the money formatting finished in Python;
2. `manage.py funds --all --as-of …`: `funds.selectors.cities_funds` for the 100 cities, printed
   as JSON lines.
The two are compared city by city, every field equal. Best of `--repeat` runs of each, and
the median of each run's own ratio (the command right after the floor): the machine is shared.
Last line: {"name": "funds_all", "cities": 100, "entries": …, "seconds": …, "floor_seconds": …,
"ratio": …, "median_ratio": …}
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import statistics
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bench.memory import Peaks
from bench.setup import empty_enterprise_tables, on_cpu_seconds, open_bench_database

# Entries up to 2026-11-30 and subsidies up to 2026-10 exist: this day leaves some out.
AS_OF = dt.date(2026, 9, 30)
CATEGORIES = ("transformation", "platform", "chain", "procured_services")
OTHER = CATEGORIES[1:]
SIGNED = "CASE WHEN l.reverses_id IS NULL THEN l.amount ELSE -l.amount END"


def _sum(condition: str) -> str:
    return f"COALESCE(SUM({SIGNED}) FILTER (WHERE {condition}), 0)"


FLOOR_SQL = f"""
WITH ledger AS (
    SELECT l.city_id,
           {_sum("l.kind = 'receipt' AND l.source = 'central'")} AS central_received,
           {_sum("l.kind = 'receipt' AND l.source = 'local'")} AS local_received,
           {
    ", ".join(
        _sum(f"l.kind = 'expense' AND l.source = 'central' AND l.category = '{c}'") + f" AS c_{c}"
        for c in CATEGORIES
    )
},
           {_sum("l.kind = 'expense' AND l.source = 'local'")} AS local_spent
    FROM funds_ledgerentry l
    WHERE l.entry_on <= %(as_of)s
    GROUP BY l.city_id
), subsidies AS (
    SELECT e.city_id,
           COUNT(*) FILTER (WHERE p.subsidy_approved_on <= %(as_of)s) AS approved,
           COALESCE(SUM(COALESCE(p.subsidy_central, 0) + COALESCE(p.subsidy_local, 0))
                    FILTER (WHERE p.subsidy_approved_on <= %(as_of)s), 0) AS approved_amount,
           COUNT(*) FILTER (WHERE p.subsidy_paid_on <= %(as_of)s) AS paid,
           COALESCE(SUM(p.subsidy_central) FILTER (WHERE p.subsidy_paid_on <= %(as_of)s), 0)
               AS paid_central,
           COALESCE(SUM(p.subsidy_local) FILTER (WHERE p.subsidy_paid_on <= %(as_of)s), 0)
               AS paid_local
    FROM projects_project p
    JOIN cities_enterprise e ON e.id = p.enterprise_id
    WHERE p.subsidy_approved_on <= %(as_of)s OR p.subsidy_paid_on <= %(as_of)s
    GROUP BY e.city_id
)
SELECT c.code,
       CASE WHEN c.city_type IN ('provincial_capital', 'separately_planned', 'corps')
            THEN b.award_cap_major_wan ELSE b.award_cap_other_wan END * 10000::numeric,
       b.funds_other_max_share, b.funds_transformation_min_share,
       COALESCE(l.central_received, 0), COALESCE(l.local_received, 0),
       {", ".join(f"COALESCE(l.c_{c}, 0)" for c in CATEGORIES)},
       COALESCE(l.local_spent, 0),
       COALESCE(s.approved, 0), COALESCE(s.approved_amount, 0), COALESCE(s.paid, 0),
       COALESCE(s.paid_central, 0), COALESCE(s.paid_local, 0)
FROM cities_pilotcity c
JOIN cities_pilotbatch b ON b.id = c.batch_id
LEFT JOIN ledger l ON l.city_id = c.id
LEFT JOIN subsidies s ON s.city_id = c.id
ORDER BY c.code
"""

CENTS = Decimal("0.01")
SHARE = Decimal("0.0001")


def _money(value: Decimal) -> str:
    return format(value.quantize(CENTS), "f")


def _share(part: Decimal, whole: Decimal) -> str | None:
    return None if whole <= 0 else format((part / whole).quantize(SHARE, ROUND_HALF_UP), "f")


def _finish(row: tuple[Any, ...]) -> dict[str, Any]:
    """A floor row as the §4.6 JSON (the paid subsidies are each source's transformation)."""
    code, cap, other_max, transformation_min, central_in, local_in, *rest = row
    spent = dict(zip(CATEGORIES, rest[:4], strict=True))
    local_spent, approved, approved_amount, paid, paid_central, paid_local = rest[4:]
    spent["transformation"] += paid_central
    other = sum((spent[c] for c in OTHER), Decimal(0))
    central = {"received": _money(central_in)} | {c: _money(spent[c]) for c in CATEGORIES}
    return {
        "city": code,
        "as_of": AS_OF.isoformat(),
        "award_cap": _money(cap),
        "central": central,
        "local": {"received": _money(local_in), "spent": _money(local_spent + paid_local)},
        "transformation_share": _share(spent["transformation"], central_in),
        "other_share": _share(other, central_in),
        "other_within_limit": other <= other_max * central_in,
        "transformation_target_met": central_in > 0
        and spent["transformation"] >= transformation_min * central_in,
        "subsidies": {
            "approved": approved,
            "approved_amount": _money(approved_amount),
            "paid": paid,
            "paid_amount": _money(paid_central + paid_local),
        },
    }


def _floor() -> tuple[float, float, dict[str, dict[str, Any]]]:
    from django.db import connection

    cpu = on_cpu_seconds()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, {"as_of": AS_OF})
        docs = [_finish(row) for row in cursor.fetchall()]
    elapsed, cpu = time.perf_counter() - started, on_cpu_seconds() - cpu
    return elapsed, cpu, {d["city"]: d for d in docs}


def _command() -> tuple[float, float, list[dict[str, Any]]]:
    from django.core.management import call_command

    out = io.StringIO()
    cpu = on_cpu_seconds()
    started = time.perf_counter()
    call_command("funds", "--all", "--as-of", AS_OF.isoformat(), stdout=out)
    elapsed, cpu = time.perf_counter() - started, on_cpu_seconds() - cpu
    return elapsed, cpu, [json.loads(line) for line in out.getvalue().splitlines()]


def _compare(floor: dict[str, dict[str, Any]], docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        assert doc == floor[doc["city"]], (doc, floor[doc["city"]])
    assert [d["city"] for d in docs] == sorted(floor), "the command and the floor list other cities"


def _shape() -> dict[str, int]:
    from funds.models import LedgerEntry

    entries = LedgerEntry.objects.count()
    reversals = LedgerEntry.objects.filter(reverses__isnull=False).count()
    return {"entries": entries, "reversals": reversals}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="funds --all vs a hand-written SQL floor")
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

    if args.reuse and pilot_loaded(projects=args.projects, baselines=True):
        print("reusing the data set in the database", file=sys.stderr)
    else:
        started = time.perf_counter()
        load_pilot(cities=100, enterprises=args.enterprises, projects=args.projects, baselines=True)
        print(f"data set loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    shape = _shape()
    seconds = floor = float("inf")
    ratios, cpu_ratios = [], []
    cpu = floor_cpu = float("inf")
    peaks = Peaks()
    try:
        for _ in range(args.repeat):
            f, f_cpu, floor_docs = _floor()
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
    print(
        f"funds --all: {seconds:.4f} s for {len(docs)} cities, {shape['entries']} entries "
        f"({shape['reversals']} reversals); floor {floor:.4f} s; "
        f"per-run ratios {', '.join(f'{r:.2f}' for r in ratios)}; on a CPU (this process and its "
        f"PostgreSQL backend) {cpu:.4f} s against {floor_cpu:.4f} s, per-run "
        f"{', '.join(f'{r:.2f}' for r in cpu_ratios)}",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "name": "funds_all",
                "cities": len(docs),
                "projects": args.projects,
                **shape,
                "seconds": round(seconds, 4),
                "floor_seconds": round(floor, 4),
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
