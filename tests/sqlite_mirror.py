"""A SQLite database beside the test's PostgreSQL one, for the tests that hold the two engines to
the same figures (compliance, funds, funnel): `manage.py` commands run against it in a
subprocess. Migrating a fresh SQLite file takes most of such a test (about 10 s), so each test
process migrates one once and every test gets its own copy of that file."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings

_migrated: Path | None = None  # this process's migrated, empty SQLite file


def run(args: list[str], env: dict[str, str]) -> str:
    """`manage.py <args>` in a subprocess with `env`; its output (a failure shows its stderr)."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _env(database: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "sme_pilot.settings.test",
    }
    env.pop("REDIS_URL", None)
    return env


def mirror_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a migrated, empty SQLite database of this test's own (in
    `tmp_path`), copied from the one this process migrated first."""
    global _migrated
    if _migrated is None:
        folder = Path(tempfile.mkdtemp(prefix="sme-sqlite-mirror-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        run(["migrate", "--noinput", "-v0"], _env(folder / "migrated.sqlite3"))
        _migrated = folder / "migrated.sqlite3"
    mine = tmp_path / "mirror.sqlite3"
    shutil.copyfile(_migrated, mine)
    return _env(mine)
