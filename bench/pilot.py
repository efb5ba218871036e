"""Shared set-up of the issue-13 benchmarks: a national roster and its pilot in a bench database.

`load_pilot()` imports, through `import_data` as the command runs it (no city scope): the roster
(`bench.setup.load_roster`: cities, sub-industries, enterprises), then the pilot of
`bench.generate.generate_pilot`: provider libraries, subsidy rules, the after-levels of accepted
projects, and — unless `projects=False` — the projects themselves. Then (issue 14) each city's
funds ledger through `import_data funds`, its few reversals through `funds.services
.reverse_entry` (an import file cannot reverse an entry), and — with `baselines=True` — the
project enterprises' baseline levels (`import_data levels`), which the provider evaluation needs.

`pilot_loaded()` tells whether a bench database already holds such a data set (`--reuse`).
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from bench.generate import PilotDataset, generate, generate_pilot, write_pilot_csvs
from bench.setup import load_roster

# Left by an earlier run (they refer to the cities, which the roster's emptying keeps).
FUNDS_TABLES = ("funds_historicalledgerentry", "funds_ledgerentry")
PROJECT_TABLES = (
    "projects_investmentline",
    "projects_projectevent",
    "projects_historicalproject",
    "projects_project",
)


def load_pilot(
    *,
    cities: int,
    enterprises: int,
    projects: int,
    import_projects: bool = True,
    baselines: bool = False,
) -> tuple[PilotDataset, dict[str, Path]]:

    load_roster(cities=cities, enterprises=enterprises)
    return load_pilot_onto_roster(
        cities=cities,
        enterprises=enterprises,
        projects=projects,
        import_projects=import_projects,
        baselines=baselines,
    )


def load_pilot_onto_roster(
    *,
    cities: int,
    enterprises: int,
    projects: int,
    import_projects: bool = True,
    baselines: bool = False,
) -> tuple[PilotDataset, dict[str, Path]]:
    """The pilot of `load_pilot` on a roster `load_roster` loaded with the same arguments (the
    generator is seeded: the same cities, sub-industries and enterprises), whatever was added to
    it since (the compliance bench's assessments, say)."""
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(FUNDS_TABLES)} RESTART IDENTITY CASCADE")
    pilot = generate_pilot(generate(cities=cities, enterprises=enterprises), projects=projects)
    paths = write_pilot_csvs(pilot, Path(tempfile.mkdtemp(prefix="sme-bench-pilot-")))
    out = io.StringIO()
    kinds = [("providers", "providers"), ("subsidy_rules", "subsidy_rules")]
    kinds.append(("levels", "project_levels"))
    if baselines:
        kinds.append(("levels", "baseline_levels"))
    if import_projects:
        kinds.append(("projects", "projects"))
    kinds.append(("funds", "ledger"))
    for kind, name in kinds:
        # A refused file raises CommandError, its errors on stderr.
        call_command("import_data", kind, str(paths[name]), stdout=out)
    _book_reversals(pilot)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return pilot, paths


def empty_project_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(PROJECT_TABLES)} RESTART IDENTITY CASCADE")
        cursor.execute("CHECKPOINT")


def _book_reversals(pilot: PilotDataset) -> None:
    import datetime as dt

    from funds.models import LedgerEntry
    from funds.services import reverse_entry

    for city_code, reference, reversal, day in pilot.reversals:
        entry = LedgerEntry.objects.select_related("city").get(
            city__code=city_code, reference=reference
        )
        reverse_entry(
            actor=None,
            entry=entry,
            entry_on=dt.date.fromisoformat(day),
            reference=reversal,
            reason="基准测试：冲正",
        )


def pilot_loaded(*, projects: int, baselines: bool = False) -> bool:
    """Whether the bench database holds a pilot data set of `projects` projects with its funds
    ledgers (and baseline levels): `--reuse` then skips the minutes of loading."""
    from assessments.models import Assessment, Purpose
    from funds.models import LedgerEntry
    from projects.models import Project

    if Project.objects.count() != projects or not LedgerEntry.objects.exists():
        return False
    return not baselines or Assessment.objects.filter(purpose=Purpose.BASELINE).exists()
