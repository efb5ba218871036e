"""The compliance figures are identical on PostgreSQL and SQLite.

The same deterministic demo data is loaded into this test's database (PostgreSQL in CI) and, in a
subprocess, into a fresh SQLite file; `manage.py compliance --all` must print the same JSON.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

pytestmark = pytest.mark.django_db


def _run(args: list[str], env: dict[str, str]) -> str:
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


def test_compliance_is_identical_on_postgresql_and_sqlite(tmp_path):
    if connection.vendor != "postgresql":
        # SQLite against SQLite would pass whatever the engines do.
        pytest.skip("compares PostgreSQL with SQLite: run with DATABASE_URL=postgres://…")
    as_of = timezone.localdate().isoformat()
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("compliance", "--all", "--as-of", as_of, stdout=out)
    here = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [d["city"] for d in here] == ["HHHT", "LY", "NB"]
    assert any(s["denominator"] for d in here for s in d["sub_industries"])

    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'mirror.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "sme_pilot.settings.test",
    }
    env.pop("REDIS_URL", None)
    _run(["migrate", "--noinput", "-v0"], env)
    _run(["seed_demo"], env)
    there = [
        json.loads(line)
        for line in _run(["compliance", "--all", "--as-of", as_of], env).splitlines()
    ]
    assert there == here, "PostgreSQL and SQLite disagree"
