"""Benchmark: PDF reports against a WeasyPrint-only floor for the same final HTML.

Needs DATABASE_URL pointing at a PostgreSQL benchmark database (name containing "bench").
Data: 100 cities and 200,000 enterprises (bench.generate), one confirmed level per enterprise.
For the city report of the city closest to 2,000 enterprises and for the national report:
- total: snapshot (queries) + HTML + WeasyPrint layout + PDF, as a report job does it;
- floor: WeasyPrint layout + PDF alone, for the same final HTML, in the same run.
One JSON line each: {"name": "report_city" | "report_national", "enterprises": …, "pages": …,
"seconds": …, "floor_seconds": …, "ratio": …, "overhead_pct": …, "peak_rss_mb": …}
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import sys
import time

from bench.setup import empty_enterprise_tables, load_roster, open_bench_database


def _store_levels(seed: int = 5) -> None:
    from django.db import connection
    from django.utils import timezone

    from assessments.models import Assessment
    from cities.models import Enterprise

    rng = random.Random(seed)
    now = timezone.now()
    start = dt.date(2024, 3, 1)
    rows = [
        Assessment(
            enterprise_id=pk,
            purpose="baseline",
            method="onsite",
            state="confirmed",
            source="import",
            level=rng.choices([0, 1, 2, 3, 4], weights=[10, 35, 35, 15, 5])[0],
            assessed_on=start + dt.timedelta(days=rng.randint(0, 900)),
            confirmed_at=now,
        )
        for pk in Enterprise.objects.values_list("id", flat=True)
    ]
    Assessment.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _measure(kind: str, **params: str) -> dict[str, object]:
    from reports import rendering, snapshots

    started = time.perf_counter()
    snapshot = snapshots.build_snapshot(kind, **params)  # type: ignore[arg-type]
    digest = snapshots.snapshot_hash(snapshot)
    html = rendering.render_html(kind, snapshot, snapshot_hash=digest)
    document = rendering.render_html_document(html)
    pdf = document.write_pdf()
    total = time.perf_counter() - started
    pages = len(document.pages)

    started = time.perf_counter()
    floor_pdf = rendering.render_html_document(html).write_pdf()
    floor = time.perf_counter() - started
    assert len(floor_pdf) > 0 and len(pdf) > 0
    return {
        "pages": pages,
        "seconds": round(total, 3),
        "floor_seconds": round(floor, 3),
        "ratio": round(total / floor, 3),
        "overhead_pct": round(100 * (total - floor) / floor, 1),
        "peak_rss_mb": _peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="PDF reports vs WeasyPrint alone")
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--target", type=int, default=2_000, help="city report size")
    args = parser.parse_args(argv)

    open_bench_database()
    from django.db.models import Count

    from cities.models import PilotCity

    load_roster(cities=100, enterprises=args.enterprises)
    _store_levels()
    try:
        sizes = PilotCity.objects.annotate(n=Count("enterprises")).values_list("code", "n")
        code, size = min(sizes, key=lambda cs: abs(cs[1] - args.target))
        city = {"name": "report_city", "enterprises": size, **_measure("city", city_code=code)}
        national = {
            "name": "report_national",
            "cities": PilotCity.objects.count(),
            **_measure("national"),
        }
    finally:
        empty_enterprise_tables()
    print(json.dumps(city))
    print(json.dumps(national))
    return 0


if __name__ == "__main__":
    sys.exit(main())
