"""Benchmark: `import_data projects` (domain §4.6) on 60,000 rows against a PostgreSQL COPY floor.

Needs DATABASE_URL pointing at a PostgreSQL benchmark database (name containing "bench").
1. Loads the national roster (100 cities, 100,000 enterprises) and its pilot without projects
   (`bench.pilot`: provider libraries, subsidy rules, the after-levels of accepted projects).
2. Empties the project tables and times `call_command("import_data", "projects", FILE)` on the
   60,000 generated rows (`bench.generate_pilot`: every stage, outcomes, contracts, investment
   lines, satisfaction, subsidies within entitlement): reading the CSV, validating every cell and
   the §4.6 rules (dates in order, provider in the city's library, after-level, entitlement),
   writing the projects **and** their history rows, investment lines and import events, commit.
3. Empties them again and times a bare `COPY projects_project FROM STDIN` of the same rows,
   already resolved to ids and formatted (no validation, no lines, no events, no audit trail),
   the pipeline's NOT NULL working-state columns at their model defaults: the floor.
Best of `--repeat` runs of each, and the median of each run's own ratio (an import and the floor
right after it). Last line: {"name": "import_projects", "rows": 60000, "seconds": …,
"floor_seconds": …, "ratio": …, "median_ratio": …}
"""

from __future__ import annotations

import argparse
import io
import json
import operator
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.memory import Peaks
from bench.setup import empty_enterprise_tables, open_bench_database

FLOOR_COLUMNS = (
    "enterprise_id",
    "provider_id",
    "contract_no",
    "contract_amount",
    "planned_completion_on",
    "applied_on",
    "admitted_on",
    "diagnosed_on",
    "provider_selected_on",
    "contract_filed_on",
    "completed_on",
    "acceptance_applied_on",
    "accepted_on",
    "subsidy_approved_on",
    "subsidy_paid_on",
    "rejected_on",
    "acceptance_failed_on",
    "withdrawn_on",
    "satisfaction",
    "subsidy_central",
    "subsidy_local",
    "created_at",
    "updated_at",
)


def _floor_defaults() -> list[tuple[str, str]]:
    """Every other NOT NULL column of `projects_project` (the pipeline's working state, which an
    import leaves at its defaults) with its model default as COPY text: the database has no
    defaults of its own (Django sets them), so a COPY without them fails."""
    from projects.models import Project

    found = []
    for f in Project._meta.concrete_fields:
        if f.primary_key or f.null or f.attname in FLOOR_COLUMNS:
            continue
        value = f.get_default()
        if isinstance(value, dict | list):
            text = json.dumps(value)
        elif isinstance(value, bool):
            text = "t" if value else "f"
        else:
            text = str(value)
        found.append((str(f.column), text.replace("\\", "\\\\")))
    return found


def _floor_copy_text(rows: list[dict[str, Any]]) -> bytes:
    """The project rows as COPY text, resolved to ids (untimed)."""
    from django.utils import timezone

    from cities.models import Enterprise
    from providers.models import Provider

    enterprises = dict(Enterprise.objects.values_list("uscc", "id"))
    providers = dict(Provider.objects.values_list("uscc", "id"))
    now = timezone.now().isoformat()
    defaults = [text for _, text in _floor_defaults()]
    lines = []
    for row in rows:
        values = [
            str(enterprises[row["uscc"]]),
            str(providers[row["provider_uscc"]]) if row["provider_uscc"] else "\\N",
        ]
        for name in FLOOR_COLUMNS[2:-2]:
            value = row[name]
            values.append(str(value) if value != "" else ("" if name == "contract_no" else "\\N"))
        values += [now, now, *defaults]
        lines.append("\t".join(values))
    return ("\n".join(lines) + "\n").encode()


def _time_floor(data: bytes) -> float:
    from django.db import connection, transaction

    from bench.pilot import empty_project_tables

    empty_project_tables()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        columns = [*FLOOR_COLUMNS, *(name for name, _ in _floor_defaults())]
        sql = f"COPY projects_project ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            copy.write(data)
    return time.perf_counter() - started


def _time_import(path: Path) -> tuple[float, str]:
    from django.core.management import call_command

    from bench.pilot import empty_project_tables

    empty_project_tables()
    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_data", "projects", str(path), stdout=out)
    return time.perf_counter() - started, out.getvalue().strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="import_data projects vs a COPY floor")
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best counts")
    parser.add_argument("--keep", action="store_true", help="leave the data set for profiling")
    args = parser.parse_args(argv)

    open_bench_database()
    from bench.pilot import load_pilot
    from projects.models import InvestmentLine, Project

    pilot, paths = load_pilot(
        cities=100, enterprises=args.enterprises, projects=args.projects, import_projects=False
    )
    imports: list[float] = []
    floors: list[float] = []
    peaks = Peaks()
    try:
        copy_text = _floor_copy_text(pilot.projects)
        for _ in range(args.repeat):
            with peaks.measure():
                elapsed, summary = _time_import(paths["projects"])
            imports.append(elapsed)
            written = Project.objects.count()
            lines = InvestmentLine.objects.count()
            assert written == args.projects, (written, summary)
            print(
                f"import_data: {elapsed:.2f} s, {written} projects, {lines} lines", file=sys.stderr
            )
            elapsed = _time_floor(copy_text)
            floors.append(elapsed)
            assert Project.objects.count() == args.projects
            print(
                f"COPY floor:  {elapsed:.2f} s (this pair: {imports[-1] / elapsed:.2f}×)",
                file=sys.stderr,
            )
    finally:
        if not args.keep:
            empty_enterprise_tables()
    seconds, floor = min(imports), min(floors)
    print(
        json.dumps(
            {
                "name": "import_projects",
                "rows": args.projects,
                "seconds": round(seconds, 3),
                "floor_seconds": round(floor, 3),
                "ratio": round(seconds / floor, 2),
                "median_ratio": round(statistics.median(map(operator.truediv, imports, floors)), 2),
                **peaks.as_json(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
