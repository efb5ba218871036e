"""Benchmark: `import_data enterprises` on 100,000 rows against a PostgreSQL COPY floor.

Needs DATABASE_URL pointing at a PostgreSQL database used only for benchmarks (its name must
contain "bench", e.g. postgres://postgres@127.0.0.1:5432/sme_bench; it is created if missing).
The run migrates it, generates the synthetic national data set (bench.generate), imports the
cities and sub-industries, then:

1. empties the enterprise tables and times `call_command("import_data", "enterprises", FILE)`:
   reading, validating, resolving and writing 100,000 rows plus their history rows;
2. empties them again and times a bare `COPY cities_enterprise FROM STDIN` of the same rows,
   already resolved to ids and formatted (the floor: no validation, no audit trail).

Both write `cities_enterprise`, so both fire its triggers that keep the roster counters
(docs/rules.md "Kept current level"): the floor pays for them as the import does. After each
import the counters are checked against a recount of the roster.

The last line printed is one JSON object:
{"name": "import_enterprises", "rows": 100000, "seconds": …, "floor_seconds": …, "ratio": …}

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/sme_bench python -m bench.import_enterprises
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ENTERPRISE_TABLES = ("cities_enterprise", "cities_historicalenterprise")


def _require_bench_database() -> str:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(
            "DATABASE_URL must point at PostgreSQL, e.g. "
            "postgres://postgres@127.0.0.1:5432/sme_bench"
        )
    name = parts.path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to empty tables in database {name!r}: its name must contain 'bench'")
    return url


def _create_database_if_missing(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sme_pilot.settings.local")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _empty_enterprise_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # CASCADE: in a benchmark database nothing else refers to these rows that matters.
        cursor.execute(f"TRUNCATE {', '.join(ENTERPRISE_TABLES)} RESTART IDENTITY CASCADE")
        cursor.execute("CHECKPOINT")


def _floor_copy_text(rows: list[dict[str, Any]]) -> tuple[list[str], bytes]:
    """The enterprise rows as COPY text, exactly the columns the import writes."""
    from django.utils import timezone

    from cities.models import District, PilotCity, SubIndustry

    cities = dict(PilotCity.objects.values_list("code", "id"))
    subs = {(c, code): i for i, c, code in SubIndustry.objects.values_list("id", "city_id", "code")}
    # The districts the rows name, created here once (the import then finds them all existing).
    districts = {
        (c, name): i for i, c, name in District.objects.values_list("id", "city_id", "name")
    }
    for row in rows:
        key = (cities[row["city_code"]], row["district"])
        if row["district"] and key not in districts:
            code = f"D{sum(1 for c, _ in districts if c == key[0]) + 1:03d}"
            districts[key] = District.objects.create(city_id=key[0], code=code, name=key[1]).pk
    now = timezone.now().isoformat()
    tiers = {"none", "innovative", "provincial_srdi", "little_giant"}
    columns = [
        "id",
        "uscc",
        "name",
        "city_id",
        "sub_industry_id",
        "district_id",
        "above_scale",
        "quality_tier",
        "size_class",
        "contact_name",
        "contact_phone",
        "contact_email",
        "address",
        "created_at",
        "updated_at",
    ]
    buffer = io.StringIO()
    for pk, row in enumerate(rows, start=1):
        city_id = cities[row["city_code"]]
        assert row["quality_tier"] in tiers
        fields = [
            str(pk),
            row["uscc"],
            row["name"],
            str(city_id),
            str(subs[(city_id, row["sub_industry_code"])]),
            str(districts[(city_id, row["district"])]) if row["district"] else "\\N",
            "t" if row["above_scale"] == "是" else "f",
            row["quality_tier"],
            row["size_class"],
            "",
            "",
            "",
            "",
            now,
            now,
        ]
        buffer.write("\t".join(fields))
        buffer.write("\n")
    return columns, buffer.getvalue().encode()


def _time_floor(columns: list[str], data: bytes) -> float:
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        sql = f"COPY cities_enterprise ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            copy.write(data)
    return time.perf_counter() - started


def _time_import(path: Path) -> tuple[float, str]:
    from django.core.management import call_command

    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_data", "enterprises", str(path), stdout=out)
    return time.perf_counter() - started, out.getvalue().strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="import_data enterprises vs a COPY floor")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best counts")
    parser.add_argument("--data-dir", type=Path, default=None, help="keep the CSVs here")
    args = parser.parse_args(argv)

    url = _require_bench_database()
    _create_database_if_missing(url)
    _setup_django()

    from django.core.management import call_command
    from django.db import connection

    from bench.generate import generate, write_csvs
    from cities.models import Enterprise
    from cities.selectors.roster_counts import roster_count_differences

    call_command("migrate", verbosity=0)
    data = generate(enterprises=args.rows)
    directory = args.data_dir or Path(tempfile.mkdtemp(prefix="sme-bench-"))
    paths = write_csvs(data, directory)
    quiet = io.StringIO()
    _empty_enterprise_tables()  # sub-industries referenced by old enterprises may change
    for kind in ("cities", "sub_industries"):
        call_command("import_data", kind, str(paths[kind]), stdout=quiet)
    columns, copy_text = _floor_copy_text(data.enterprises)

    from bench.memory import Peaks

    peaks = Peaks()
    seconds, floor = float("inf"), float("inf")
    for _ in range(args.repeat):
        _empty_enterprise_tables()
        with peaks.measure():
            elapsed, summary = _time_import(paths["enterprises"])
        assert Enterprise.objects.count() == args.rows, summary
        assert Enterprise.history.count() == args.rows
        # The roster counters, kept by triggers in the import's transaction, are exact.
        assert not list(roster_count_differences()), "roster counters differ after the import"
        print(f"import_data: {elapsed:.2f} s  ({summary})", file=sys.stderr)
        seconds = min(seconds, elapsed)

        _empty_enterprise_tables()
        elapsed = _time_floor(columns, copy_text)
        assert Enterprise.objects.count() == args.rows
        print(f"COPY floor:  {elapsed:.2f} s", file=sys.stderr)
        floor = min(floor, elapsed)
    _empty_enterprise_tables()
    connection.close()

    result = {
        "name": "import_enterprises",
        "rows": args.rows,
        "seconds": round(seconds, 3),
        "floor_seconds": round(floor, 3),
        "ratio": round(seconds / floor, 2),
        **peaks.as_json(),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
