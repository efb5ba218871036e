"""Benchmark: `compliance --all` at national scale against a hand-written SQL floor.

Needs DATABASE_URL pointing at a PostgreSQL benchmark database (name containing "bench").
National scale: 100 cities, 100,000 enterprises (bench.generate), 200,000 assessments (two per
enterprise: confirmed on-site baselines and posts, submitted self-assessments that never count),
and with `--projects N` the pilot of `bench.pilot` (providers, N projects, funds ledgers) on the
same roster, so that the dashboards measured last carry their funnel and funds sections.
1. floor: one hand-written SQL GROUP BY (DISTINCT ON for each enterprise's latest confirmed
   level) producing the per-sub-industry denominators and counts at level 2+;
2. `manage.py compliance --all`: the same counts through the ORM aggregation, plus little giants
   and below-scale uplift, for every city, printed as JSON.
The two runs' sub-industry counts are compared, so the floor computes the same thing.
Last line: {"name": "compliance_all", "cities": 100, "enterprises": …, "assessments": …,
"seconds": …, "floor_seconds": …, "ratio": …}
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import sys
import time

from bench import trigger_cost
from bench.memory import Peaks
from bench.setup import empty_enterprise_tables, load_roster, open_bench_database

FLOOR_SQL = """
WITH current AS (
    SELECT DISTINCT ON (a.enterprise_id) a.enterprise_id, a.level
    FROM assessments_assessment a
    WHERE a.state = 'confirmed' AND a.assessed_on <= %(as_of)s
    ORDER BY a.enterprise_id, a.assessed_on DESC, a.confirmed_at DESC, a.id DESC
)
SELECT c.code, s.code,
       COUNT(*) FILTER (WHERE e.above_scale
                           OR e.quality_tier IN ('provincial_srdi', 'little_giant')),
       COUNT(*) FILTER (WHERE (e.above_scale
                               OR e.quality_tier IN ('provincial_srdi', 'little_giant'))
                          AND cur.level >= 2)
FROM cities_enterprise e
JOIN cities_pilotcity c ON c.id = e.city_id
JOIN cities_subindustry s ON s.id = e.sub_industry_id
LEFT JOIN current cur ON cur.enterprise_id = e.id
GROUP BY c.code, s.code
"""


def _store_assessments(per_enterprise: int, seed: int = 11) -> int:
    from django.db import connection
    from django.utils import timezone

    from assessments.models import Assessment, PledgeText
    from assessments.services import refresh_current_level
    from cities.models import Enterprise

    rng = random.Random(seed)
    pledge = PledgeText.objects.order_by("id").first()
    now = timezone.now()
    start = dt.date(2024, 3, 1)
    rows: list[Assessment] = []
    for enterprise_id in Enterprise.objects.order_by("id").values_list("id", flat=True):
        for k in range(per_enterprise):
            kind = rng.random()
            day = start + dt.timedelta(days=rng.randint(0, 900))
            common = {"enterprise_id": enterprise_id, "assessed_on": day, "source": "online"}
            if kind < 0.75:
                rows.append(
                    Assessment(
                        **common,
                        purpose="baseline" if k == 0 else "post",
                        method="onsite",
                        state="confirmed",
                        level=rng.choices([0, 1, 2, 3, 4], weights=[10, 35, 35, 15, 5])[0],
                        confirmed_at=now,
                    )
                )
            else:
                rows.append(
                    Assessment(
                        **common,
                        purpose="self_check",
                        method="self",
                        state="submitted",
                        level=rng.randint(0, 4),
                        pledged_at=now,
                        pledge_text=pledge,
                        pledge_signer="基准测试",
                    )
                )
    Assessment.objects.bulk_create(rows, batch_size=5000)
    # Written past the services: keep the enterprises' current level as they would.
    refresh_current_level(Enterprise.objects.values_list("pk", flat=True))
    # VACUUM too, as autovacuum would have by then: the update above leaves every enterprise row
    # twice and the visibility map empty, so index-only scans would read the tables anyway.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return len(rows)


def _floor(as_of: dt.date) -> tuple[float, dict[tuple[str, str], tuple[int, int]]]:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, {"as_of": as_of})
        rows = cursor.fetchall()
    elapsed = time.perf_counter() - started
    return elapsed, {(c, s): (den, at) for c, s, den, at in rows}


def _command(as_of: dt.date) -> tuple[float, dict[tuple[str, str], tuple[int, int]], int]:
    from django.core.management import call_command

    out = io.StringIO()
    started = time.perf_counter()
    call_command("compliance", "--all", "--as-of", as_of.isoformat(), stdout=out)
    elapsed = time.perf_counter() - started
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    lines = out.getvalue().splitlines()
    for line in lines:
        doc = json.loads(line)
        for sub in doc["sub_industries"]:
            if sub["denominator"] or sub["at_or_above"]:
                counts[(doc["city"], sub["code"])] = (sub["denominator"], sub["at_or_above"])
    return elapsed, counts, len(lines)


def _dashboard_timings() -> list[dict[str, object]]:
    """Render times of the largest city's dashboard and the national dashboard, cold (cache
    emptied), after one city changed (the largest city's cached figures invalidated, the rest
    cached) and cached (the same request again), through Django's full request stack."""
    from django.core.cache import cache
    from django.db.models import Count
    from django.test import Client

    from accounts.models import Role, User
    from cities.models import PilotCity
    from oversight import dashboard_cache

    city = PilotCity.objects.annotate(n=Count("enterprises")).order_by("-n").first()
    assert city is not None
    official, _ = User.objects.get_or_create(
        username="bench_official", defaults={"role": Role.CITY_OFFICIAL, "city": city}
    )
    ministry, _ = User.objects.get_or_create(
        username="bench_ministry", defaults={"role": Role.MINISTRY}
    )
    lines: list[dict[str, object]] = []
    for name, user, url in (
        ("city_dashboard", official, f"/cities/{city.code}/dashboard/"),
        ("national_dashboard", ministry, "/dashboard/"),
    ):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        cold = cached = float("inf")
        for _ in range(3):
            cache.clear()
            started = time.perf_counter()
            response = client.get(url)
            cold = min(cold, time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
            started = time.perf_counter()
            assert client.get(url).status_code == 200
            cached = min(cached, time.perf_counter() - started)
        # What a page costs after one write: the largest city's figures invalidated (as a
        # confirmation, an import or a stage move there does), every other city's cached.
        one_city = float("inf")
        for _ in range(3):
            dashboard_cache.invalidate_city(city.pk)
            started = time.perf_counter()
            assert client.get(url).status_code == 200
            one_city = min(one_city, time.perf_counter() - started)
        lines.append(
            {
                "name": name,
                "enterprises": city.n if name == "city_dashboard" else None,  # type: ignore[attr-defined]
                "cold_seconds": round(cold, 3),
                "one_city_changed_seconds": round(one_city, 3),
                "cached_seconds": round(cached, 3),
                "ratio": round(cold / cached, 2),
            }
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="compliance --all vs a hand-written GROUP BY")
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--per-enterprise", type=int, default=2)
    parser.add_argument(
        "--projects",
        type=int,
        default=0,
        help="also load the pilot (bench.pilot) with this many projects, as a national "
        "deployment has them: the dashboards then show the funnel, funds and provider columns",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--keep", action="store_true", help="leave the data set for profiling")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the data set a --keep run left (no load)"
    )
    args = parser.parse_args(argv)

    open_bench_database()
    from django.utils import timezone

    if args.reuse:
        from assessments.models import Assessment

        stored = Assessment.objects.count()
    else:
        load_roster(cities=100, enterprises=args.enterprises)
        if args.projects:
            # The pilot first: its import checks each accepted project's after-level against
            # the post-transformation levels, which the random levels below would contradict.
            from bench.pilot import load_pilot_onto_roster

            started = time.perf_counter()
            load_pilot_onto_roster(cities=100, enterprises=args.enterprises, projects=args.projects)
            print(f"pilot loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        stored = _store_assessments(args.per_enterprise)
    as_of = timezone.localdate()

    seconds = floor = float("inf")
    peaks = Peaks()
    try:
        for _ in range(args.repeat):
            f, floor_counts = _floor(as_of)
            with peaks.measure():
                s, orm_counts, cities = _command(as_of)
            floor, seconds = min(floor, f), min(seconds, s)
        nonzero_floor = {k: v for k, v in floor_counts.items() if v != (0, 0)}
        assert orm_counts == nonzero_floor, "the ORM and the floor disagree"
        pages = _dashboard_timings()
        if args.projects:  # what the kept data's triggers add to one write (bench.trigger_cost)
            pages += trigger_cost.measure()
    finally:
        if not args.keep and not args.reuse:
            empty_enterprise_tables()
    print(
        f"compliance --all: {seconds:.2f} s for {cities} cities; floor {floor:.2f} s",
        file=sys.stderr,
    )
    for line in pages:
        print(json.dumps(line))
    print(
        json.dumps(
            {
                "name": "compliance_all",
                "cities": cities,
                "enterprises": args.enterprises,
                "assessments": stored,
                "projects": args.projects,
                "seconds": round(seconds, 3),
                "floor_seconds": round(floor, 3),
                "ratio": round(seconds / floor, 2),
                **peaks.as_json(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
