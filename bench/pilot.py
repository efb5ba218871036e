"""Shared set-up of the issue-13 benchmarks: a national roster and its pilot in a bench database.

`load_pilot()` imports, through `import_data` as the command runs it (no city scope): the roster
(`bench.setup.load_roster`: cities, sub-industries, enterprises), then the pilot of
`bench.generate.generate_pilot`: provider libraries, subsidy rules, the after-levels of accepted
projects, and — unless `projects=False` — the projects themselves.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from bench.generate import PilotDataset, generate, generate_pilot, write_pilot_csvs
from bench.setup import load_roster

PROJECT_TABLES = (
    "projects_investmentline",
    "projects_projectevent",
    "projects_historicalproject",
    "projects_project",
)


def load_pilot(
    *, cities: int, enterprises: int, projects: int, import_projects: bool = True
) -> tuple[PilotDataset, dict[str, Path]]:
    from django.core.management import call_command
    from django.db import connection

    load_roster(cities=cities, enterprises=enterprises)
    pilot = generate_pilot(generate(cities=cities, enterprises=enterprises), projects=projects)
    paths = write_pilot_csvs(pilot, Path(tempfile.mkdtemp(prefix="sme-bench-pilot-")))
    out = io.StringIO()
    kinds = [("providers", "providers"), ("subsidy_rules", "subsidy_rules")]
    kinds.append(("levels", "project_levels"))
    if import_projects:
        kinds.append(("projects", "projects"))
    for kind, name in kinds:
        # A refused file raises CommandError, its errors on stderr.
        call_command("import_data", kind, str(paths[name]), stdout=out)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return pilot, paths


def empty_project_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(PROJECT_TABLES)} RESTART IDENTITY CASCADE")
        cursor.execute("CHECKPOINT")
