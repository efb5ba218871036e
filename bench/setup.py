"""Shared set-up of the benchmarks that need a national-scale roster in a bench database."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from bench.import_enterprises import (
    _create_database_if_missing,
    _empty_enterprise_tables,
    _require_bench_database,
    _setup_django,
)


def open_bench_database() -> None:
    """Check DATABASE_URL names a bench database, create it if missing, set up and migrate."""
    _create_database_if_missing(_require_bench_database())
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load_roster(*, cities: int, enterprises: int) -> None:
    """Empty the enterprise tables and import a synthetic roster through `import_data`."""
    from django.core.management import call_command

    from bench.generate import generate, write_csvs

    _empty_enterprise_tables()
    paths = write_csvs(
        generate(cities=cities, enterprises=enterprises),
        Path(tempfile.mkdtemp(prefix="sme-bench-")),
    )
    quiet = io.StringIO()
    for kind in ("cities", "sub_industries", "enterprises"):
        call_command("import_data", kind, str(paths[kind]), stdout=quiet)


empty_enterprise_tables = _empty_enterprise_tables


def on_cpu_seconds() -> float:
    """Seconds this process and its PostgreSQL backend have spent on a CPU (Linux
    /proc/PID/schedstat), to compare a command with its floor when the machine is shared: the
    wall clock then mostly measures the wait for a CPU, this does not."""
    import os

    from django.db import connection

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    total = 0
    for pid in (os.getpid(), backend):
        total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    return total / 1e9
