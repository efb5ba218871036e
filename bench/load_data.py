"""The load test's data set and accounts, in a PostgreSQL bench database (`bench.load` runs this).

National scale through the real import path: 100 cities, their sub-industries and (by default)
100,000 enterprises from `bench.generate`, then confirmed on-site levels imported as a city
platform would send them (`import_data levels`): ~85% of enterprises have a baseline 20-120 days
after their city's plan was approved, half of those a post assessment 3-12 months later, so the
dashboards' distributions and monthly trends have data. Two city-wide targets per city.

Accounts, all with the same known password and `must_change_password` off:
- `load_ent_0001` …: enterprise users, each bound to a different enterprise (spread over every
  city) and owning one empty self-assessment draft of the current indicator revision;
- `load_city_C001` …: one city official per city;
- `load_assessor_C001` …: one on-site assessor (现场评定员) per city;
- `load_ministry_01` …: ministry users.

Each city's 待评定 queue holds `--queue-per-city` (default 40) submitted self-assessments
(改造前 or 改造后, complete random answers scored by the real scoring module, with the pledge) of
enterprises without an account, submitted after the levels were imported: what the simulated
assessors start on-site assessments from and confirm.

`--reuse` keeps an existing data set with the same shape and only resets what a run changes (the
drafts' answers and versions, the assessors' on-site assessments and the kept levels they changed,
report jobs, notifications, sessions, login records): seconds instead of a minute.
The accounts, the drafts' ids and the indicator's questions are written as JSON for the locustfile.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/sme_bench_load \
         python -m bench.load_data OUT.json [--enterprises 100000] [--reuse]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.import_enterprises import _require_bench_database
from bench.setup import open_bench_database

PASSWORD = "Load-Bench-2026!"
PREFIX = "load_"


def _log(message: str) -> None:
    print(f"[load_data] {message}", file=sys.stderr, flush=True)


def _levels_rows(data: Any, seed: int) -> list[dict[str, Any]]:
    """Confirmed on-site levels dated after each city's plan approval (never in the future)."""
    rng = random.Random(seed)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    approved = {c["code"]: dt.date.fromisoformat(c["plan_approved_on"]) for c in data.cities}
    rows = []
    for enterprise in data.enterprises:
        if rng.random() < 0.15:
            continue  # never assessed
        base_day = min(
            yesterday, approved[enterprise["city_code"]] + dt.timedelta(rng.randint(20, 120))
        )
        base = rng.choices([0, 1, 2, 3], weights=[10, 45, 35, 10])[0]
        score = rng.uniform(10, 90)
        rows.append(
            {
                "uscc": enterprise["uscc"],
                "assessed_on": base_day.isoformat(),
                "purpose": "baseline",
                "method": "onsite",
                "level": base,
                "total_score": f"{score:.3f}",
            }
        )
        post_day = base_day + dt.timedelta(rng.randint(90, 360))
        if rng.random() < 0.5 and post_day <= yesterday:
            rows.append(
                {
                    "uscc": enterprise["uscc"],
                    "assessed_on": post_day.isoformat(),
                    "purpose": "post",
                    "method": "onsite",
                    "level": min(4, base + rng.choice([0, 1, 1, 2])),
                    "total_score": f"{min(100.0, score + rng.uniform(0, 15)):.3f}",
                }
            )
    return rows


def _import_roster(*, cities: int, enterprises: int, seed: int) -> None:
    from django.core.management import call_command

    from bench.generate import generate, write_csvs

    data = generate(cities=cities, enterprises=enterprises, seed=seed)
    data.levels = _levels_rows(data, seed)
    paths = write_csvs(data, Path(tempfile.mkdtemp(prefix="sme-load-")))
    for kind in ("cities", "sub_industries", "enterprises", "levels"):
        started = time.perf_counter()
        call_command("import_data", kind, str(paths[kind]), stdout=io.StringIO())
        rows = len(data.rows(kind))
        _log(f"import_data {kind}: {rows} rows in {time.perf_counter() - started:.1f} s")


def _targets() -> None:
    from decimal import Decimal

    from cities.models import CityTarget, PilotCity, TargetMetric

    rows = []
    for city in PilotCity.objects.select_related("batch"):
        end = city.pilot_end_date
        if end is None or city.targets.exists():
            continue
        rows.append(
            CityTarget(city=city, metric=TargetMetric.LEVEL2_ENTERPRISES, value=70, due_date=end)
        )
        rows.append(
            CityTarget(city=city, metric=TargetMetric.LEVEL2_SHARE, value=Decimal(90), due_date=end)
        )
    CityTarget.objects.bulk_create(rows)


def _accounts(*, enterprise_accounts: int, ministry_accounts: int, seed: int) -> None:
    """Users of every role and one empty self-assessment draft per enterprise user."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from simple_history.utils import bulk_create_with_history

    from accounts.models import Role, User
    from assessments import indicators
    from assessments.models import Assessment, Method, Purpose, Source, State
    from cities.models import Enterprise, PilotCity

    password = make_password(PASSWORD)  # one PBKDF2 hash for all: hashing each takes ~0.5 s
    users: list[User] = []
    for i in range(1, ministry_accounts + 1):
        users.append(
            User(username=f"{PREFIX}ministry_{i:02d}", role=Role.MINISTRY, display_name=f"部委{i}")
        )
    for city in PilotCity.objects.order_by("code"):
        users.append(
            User(
                username=f"{PREFIX}city_{city.code}",
                role=Role.CITY_OFFICIAL,
                city=city,
                display_name=f"{city.name}工信局",
            )
        )
        users.append(
            User(
                username=f"{PREFIX}assessor_{city.code}",
                role=Role.ASSESSOR,
                city=city,
                display_name=f"{city.name}评定员",
            )
        )
    # Enterprises spread over every city: a deterministic sample of the roster.
    ids = list(Enterprise.objects.order_by("id").values_list("id", flat=True))
    chosen = sorted(random.Random(seed).sample(ids, min(enterprise_accounts, len(ids))))
    for i, enterprise_id in enumerate(chosen, start=1):
        users.append(
            User(
                username=f"{PREFIX}ent_{i:04d}",
                role=Role.ENTERPRISE,
                enterprise_id=enterprise_id,
                display_name=f"填报人{i}",
            )
        )
    for user in users:
        user.password = password
        user.must_change_password = False
    created = bulk_create_with_history(users, User, batch_size=1000)
    revision = indicators.current_revision(indicators.default_version_code())
    assert revision is not None
    today = timezone.localdate()
    drafts = [
        Assessment(
            enterprise_id=user.enterprise_id,
            purpose=Purpose.SELF_CHECK,
            method=Method.SELF,
            state=State.DRAFT,
            source=Source.ONLINE,
            revision=revision,
            assessed_on=today,
            created_by=user,
        )
        for user in created
        if user.role == Role.ENTERPRISE
    ]
    bulk_create_with_history(drafts, Assessment, batch_size=1000)


def _random_document(
    rng: random.Random, indicator: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Complete, valid answers and scene ratings (no optional data), as an enterprise submits."""
    answers: dict[str, Any] = {}
    for q in indicator.questions:
        codes = [o.code for o in q.options]
        if q.kind == "multi":
            exclusive = [o.code for o in q.options if o.exclusive]
            others = [c for c in codes if c not in exclusive]
            if exclusive and (not others or rng.random() < 0.1):
                answers[q.code] = [exclusive[0]]
            else:
                answers[q.code] = sorted(rng.sample(others, rng.randint(1, min(4, len(others)))))
        else:
            answers[q.code] = rng.choice(codes)
    scenes = {}
    for scene in indicator.scenes:
        levels = [0, *sorted(scene.descriptors)]
        scenes[scene.code] = rng.choices(levels, weights=[10, 35, 35, 15, 5][: len(levels)])[0]
    return answers, scenes, {}


def _queue(*, per_city: int, seed: int) -> None:
    """`per_city` submitted self-assessments (改造前 or 改造后) in each city's 待评定 queue: of
    enterprises without an account, scored by the real scoring module, with the pledge, and
    submitted now, after the imported levels were confirmed (so none is answered yet)."""
    from django.db import connection
    from django.utils import timezone
    from simple_history.utils import bulk_create_with_history

    from accounts.models import User
    from assessments import indicators, scoring, selectors
    from assessments.models import Assessment, Method, Purpose, Source, State
    from cities.models import Enterprise

    if per_city <= 0:
        return
    revision = indicators.current_revision(indicators.default_version_code())
    assert revision is not None
    indicator = indicators.indicator_for(revision)
    pledge = selectors.current_pledge_text()
    taken = list(
        User.objects.filter(enterprise__isnull=False).values_list("enterprise_id", flat=True)
    )
    # A deterministic sample of each city's roster, in one statement (no roster in memory).
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT id FROM (
                SELECT id, row_number() OVER (
                    PARTITION BY city_id ORDER BY md5(id::text || %s)
                ) AS n
                FROM {Enterprise._meta.db_table}
                WHERE NOT (id = ANY(%s))
            ) AS ranked WHERE n <= %s ORDER BY id
            """,
            [str(seed), taken, per_city],
        )
        enterprise_ids = [row[0] for row in cursor.fetchall()]
    rng = random.Random(seed)
    now = timezone.now()
    rows = []
    for enterprise_id in enterprise_ids:
        answers, scenes, data = _random_document(rng, indicator)
        result = scoring.score(answers, scenes, data, indicator)
        rows.append(
            Assessment(
                enterprise_id=enterprise_id,
                purpose=rng.choices([Purpose.BASELINE, Purpose.POST], weights=[6, 4])[0],
                method=Method.SELF,
                state=State.SUBMITTED,
                source=Source.ONLINE,
                revision=revision,
                assessed_on=now.date(),
                answers=answers,
                scenes=scenes,
                data=data,
                level=result.level,
                total_score=result.total,
                foundation_score=result.dimensions["foundation"],
                management_score=result.dimensions["management"],
                outcomes_score=result.dimensions["outcomes"],
                result=scoring.result_to_json(result),
                submitted_at=now,
                pledge_signer="张伟",
                pledge_title="总经理",
                pledged_at=now,
                pledge_text=pledge,
            )
        )
    bulk_create_with_history(rows, Assessment, batch_size=1000)


def _reset_run_state() -> None:
    """What a run leaves behind: answers in the drafts, the assessors' on-site assessments (and
    the kept levels their confirmations changed: the queues fill again), report jobs,
    notifications, sessions, login records."""
    from django.contrib.sessions.models import Session
    from django.db import connection

    from assessments.models import Assessment, State
    from assessments.services import refresh_current_level
    from notifications.models import Notification
    from reports.models import ReportJob

    onsite = Assessment.objects.filter(created_by__username__startswith=f"{PREFIX}assessor_")
    changed = set(onsite.values_list("enterprise_id", flat=True))
    onsite.delete()
    refresh_current_level(changed)
    Notification.objects.all().delete()

    drafts = Assessment.objects.filter(
        created_by__username__startswith=f"{PREFIX}ent_", state=State.DRAFT
    )
    drafts.update(answers={}, scenes={}, data={}, field_versions={}, edit_version=0)
    ReportJob.objects.all().delete()
    Session.objects.all().delete()
    with connection.cursor() as cursor:
        for table in ("axes_accesslog", "axes_accessattempt", "axes_accessfailurelog"):
            cursor.execute("SELECT 1 FROM information_schema.tables WHERE table_name = %s", [table])
            if cursor.fetchone():
                cursor.execute(f"TRUNCATE {table} CASCADE")


def _existing_shape() -> dict[str, int]:
    from accounts.models import Role, User
    from assessments.models import Assessment, Method, State
    from cities.models import Enterprise, PilotCity

    users = User.objects.filter(username__startswith=PREFIX)
    return {
        "cities": PilotCity.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "enterprise_accounts": users.filter(role=Role.ENTERPRISE).count(),
        "assessor_accounts": users.filter(role=Role.ASSESSOR).count(),
        "ministry_accounts": users.filter(role=Role.MINISTRY).count(),
        "drafts": Assessment.objects.filter(
            created_by__in=users.filter(role=Role.ENTERPRISE), state=State.DRAFT
        ).count(),
        "queued": Assessment.objects.filter(method=Method.SELF, state=State.SUBMITTED).count(),
    }


def _indicator_summary() -> dict[str, Any]:
    """What a simulated enterprise needs to answer validly: codes, kinds, options, levels."""
    from assessments import indicators

    revision = indicators.current_revision(indicators.default_version_code())
    assert revision is not None
    indicator = indicators.indicator_for(revision)
    return {
        "questions": [
            {
                "code": q.code,
                "kind": q.kind,
                "options": [o.code for o in q.options],
                "exclusive": [o.code for o in q.options if o.exclusive],
                "data": [c for c in (q.data_total, q.data_part, q.data_field) if c],
            }
            for q in indicator.questions
        ],
        "scenes": [
            {"code": s.code, "levels": [0, *sorted(s.descriptors)]} for s in indicator.scenes
        ],
        "data_fields": {f.code: f.kind for f in indicator.data_fields},
    }


def _manifest() -> dict[str, Any]:
    from accounts.models import Role, User
    from assessments.models import Assessment, State
    from cities.models import PilotCity

    users = User.objects.filter(username__startswith=PREFIX)
    drafts = dict(
        Assessment.objects.filter(
            created_by__username__startswith=f"{PREFIX}ent_", state=State.DRAFT
        ).values_list("created_by__username", "id")
    )
    return {
        "password": PASSWORD,
        "enterprise": [
            {"username": name, "assessment": drafts[name]}
            for name in users.filter(role=Role.ENTERPRISE)
            .order_by("username")
            .values_list("username", flat=True)
            if name in drafts
        ],
        "city": [
            {"username": name, "city": code}
            for name, code in users.filter(role=Role.CITY_OFFICIAL)
            .order_by("username")
            .values_list("username", "city__code")
        ],
        "assessor": [
            {"username": name, "city": code}
            for name, code in users.filter(role=Role.ASSESSOR)
            .order_by("username")
            .values_list("username", "city__code")
        ],
        "ministry": list(
            users.filter(role=Role.MINISTRY).order_by("username").values_list("username", flat=True)
        ),
        "cities": list(PilotCity.objects.order_by("code").values_list("code", flat=True)),
        "indicator": _indicator_summary(),
    }


def _drop_database() -> None:
    """Drop the bench database (refused unless its name contains "bench"); migrations rebuild it
    with its reference data (provinces, batches, the indicator, the pledge)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(_require_bench_database())
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    name = parts.path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _database_exists() -> bool:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(_require_bench_database())
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [parts.path.lstrip("/")]
        ).fetchone()
    return found is not None


def prepare(
    *,
    cities: int,
    enterprises: int,
    enterprise_accounts: int,
    ministry_accounts: int,
    queue_per_city: int,
    reuse: bool,
    seed: int = 2026,
) -> dict[str, Any]:
    wanted = {
        "cities": cities,
        "enterprises": enterprises,
        "enterprise_accounts": min(enterprise_accounts, enterprises),
        "assessor_accounts": cities,
        "ministry_accounts": ministry_accounts,
        "drafts": min(enterprise_accounts, enterprises),
        # Every city has more than enough enterprises without an account at the default scale.
        "queued": cities * queue_per_city,
    }
    reusable = False
    if reuse and _database_exists():
        open_bench_database()
        shape = _existing_shape()
        reusable = shape == wanted
        _log(f"reusing the data set: {shape}" if reusable else f"cannot reuse {shape}: rebuild")
        if not reusable:
            from django.db import connections

            connections.close_all()
    if not reusable:
        started = time.perf_counter()
        _drop_database()
        open_bench_database()  # creates and migrates
        _log(f"database created and migrated in {time.perf_counter() - started:.1f} s")
        _import_roster(cities=cities, enterprises=enterprises, seed=seed)
        _targets()
        _accounts(
            enterprise_accounts=enterprise_accounts, ministry_accounts=ministry_accounts, seed=seed
        )
        started_queue = time.perf_counter()
        _queue(per_city=queue_per_city, seed=seed)
        _log(f"待评定 queues filled in {time.perf_counter() - started_queue:.1f} s")
        _log(f"data set built in {time.perf_counter() - started:.1f} s: {_existing_shape()}")
    from django.db import connection

    _reset_run_state()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return _manifest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Prepare the load test's database and accounts")
    parser.add_argument("out", type=Path, help="where to write the accounts JSON")
    parser.add_argument("--cities", type=int, default=100)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--enterprise-accounts", type=int, default=500)
    parser.add_argument("--ministry-accounts", type=int, default=20)
    parser.add_argument(
        "--queue-per-city", type=int, default=40, help="submitted self-assessments per city"
    )
    parser.add_argument("--reuse", action="store_true", help="keep a data set of the same shape")
    args = parser.parse_args(argv)
    manifest = prepare(
        cities=args.cities,
        enterprises=args.enterprises,
        enterprise_accounts=args.enterprise_accounts,
        ministry_accounts=args.ministry_accounts,
        queue_per_city=args.queue_per_city,
        reuse=args.reuse,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _log(
        f"{len(manifest['enterprise'])} enterprise, {len(manifest['city'])} city, "
        f"{len(manifest['assessor'])} assessor and {len(manifest['ministry'])} ministry accounts"
        f" → {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
