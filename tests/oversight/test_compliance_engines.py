"""The compliance figures are identical on PostgreSQL and SQLite.

The same deterministic demo data is loaded into this test's database (PostgreSQL in CI) and, in a
subprocess, into a fresh SQLite file; `manage.py compliance --all` must print the same JSON.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tests.sqlite_mirror import mirror_env, run

pytestmark = pytest.mark.django_db


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

    env = mirror_env(tmp_path)
    run(["seed_demo"], env)
    there = [
        json.loads(line)
        for line in run(["compliance", "--all", "--as-of", as_of], env).splitlines()
    ]
    assert there == here, "PostgreSQL and SQLite disagree"
