"""Benchmark: `rescore_preview` over 100,000 stored assessments, against a read-only floor.

Needs DATABASE_URL pointing at a PostgreSQL benchmark database (its name must contain "bench").
The run migrates it, imports a synthetic roster (bench.generate), stores N scored assessments
on the 2024 revision, then adds a corrected revision (the level-2 gate raised from 40 to 42) and:
1. times the floor: reading the same rows (`values_list(...).iterator()`) without scoring;
2. times `assessments.selectors.rescore_preview(version_code="2024")`: read, validate, re-score
   and compare every assessment.
Last line printed, one JSON object:
{"name": "rescore_preview", "assessments": 100000, "seconds": …, "floor_seconds": …,
 "ratio": …, "level_changes": …}
Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/sme_bench python -m bench.rescore
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time

from bench.memory import Peaks
from bench.setup import load_roster, open_bench_database

CHUNK = 20_000


def _store_assessments(n: int) -> int:
    """N submitted/confirmed assessments with real answers, scored on the current revision."""
    from django.db import connection
    from django.utils import timezone

    from assessments import indicators, scoring
    from assessments.models import Assessment
    from assessments.services import refresh_current_level
    from bench.scoring import iter_generate
    from cities.models import Enterprise

    revision = indicators.current_revision("2024")
    assert revision is not None
    indicator = indicators.indicator_for(revision)
    enterprise_ids = list(Enterprise.objects.order_by("id").values_list("id", flat=True))
    now = timezone.now()
    today = timezone.localdate()
    # Self-assessments need a pledge text to satisfy the submitted-has-pledge constraint.
    from assessments.models import PledgeText

    pledge = PledgeText.objects.order_by("id").first()
    rows: list[Assessment] = []
    stored = 0
    # Written CHUNK at a time: 2,000,000 documents held at once took more than 15 GB.
    for i, doc in enumerate(iter_generate(indicator, n, seed=7)):
        data = doc.get("data", {})
        result = scoring.score(doc["answers"], doc["scenes"], data, indicator)
        confirmed = i % 2 == 0
        rows.append(
            Assessment(
                enterprise_id=enterprise_ids[i % len(enterprise_ids)],
                purpose="baseline" if confirmed else "self_check",
                method="onsite" if confirmed else "self",
                state="confirmed" if confirmed else "submitted",
                source="online",
                revision=revision,
                answers=doc["answers"],
                scenes=doc["scenes"],
                data=data,
                level=result.level,
                total_score=result.total,
                assessed_on=today,
                submitted_at=now,
                confirmed_at=now if confirmed else None,
                pledged_at=None if confirmed else now,
                pledge_text=None if confirmed else pledge,
                pledge_signer="" if confirmed else "基准测试",
            )
        )
        if len(rows) == CHUNK:
            Assessment.objects.bulk_create(rows, batch_size=5000)
            stored += len(rows)
            rows = []
    Assessment.objects.bulk_create(rows, batch_size=5000)
    stored += len(rows)
    refresh_current_level(enterprise_ids)  # written past the services: keep the current level
    connection.close()
    return stored


def _ensure_first_revision() -> None:
    """The import benchmark's TRUNCATE … CASCADE reaches revisions through their creator FK."""
    import importlib

    from assessments.models import IndicatorRevision, IndicatorVersion

    if IndicatorRevision.objects.filter(version__code="2024").exists():
        return
    migration = importlib.import_module("assessments.migrations.0003_indicator_2024_and_pledge")
    definition = json.loads(migration.DATA_FILE.read_text(encoding="utf-8"))
    IndicatorRevision.objects.create(
        version=IndicatorVersion.objects.get(code="2024"),
        number=1,
        definition=definition,
        note="初始版本（随系统发布）",
    )


def _add_corrected_revision() -> None:
    from assessments import indicators
    from assessments.models import IndicatorVersion

    current = indicators.current_revision("2024")
    assert current is not None
    definition = copy.deepcopy(current.definition)
    for gate in definition["gates"]:
        if gate["level"] == 2:
            gate["min_score"] = "42"
    indicators.revision_create(
        version=IndicatorVersion.objects.get(code="2024"),
        definition=definition,
        note="基准测试：二级门槛 40 → 42",
        actor=None,
    )


def _cleanup() -> None:
    from django.db import connection

    from assessments.models import IndicatorRevision

    with connection.cursor() as cursor:  # 2,000,000 rows: not one by one through the ORM
        cursor.execute("TRUNCATE assessments_assessment CASCADE")
    IndicatorRevision.objects.filter(version__code="2024", number__gt=1).delete()


def _time_floor() -> tuple[float, int]:
    from assessments.models import Assessment
    from assessments.selectors import RESCORE_FIELDS

    started = time.perf_counter()
    count = 0
    rows = Assessment.objects.order_by("id").values_list(*RESCORE_FIELDS)
    for _row in rows.iterator(chunk_size=2000):
        count += 1
    return time.perf_counter() - started, count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="rescore_preview vs reading the same rows")
    parser.add_argument("--assessments", type=int, default=100_000)
    parser.add_argument("--enterprises", type=int, default=20_000)
    args = parser.parse_args(argv)

    open_bench_database()
    from assessments.selectors import rescore_preview

    _cleanup()
    load_roster(cities=100, enterprises=args.enterprises)
    _ensure_first_revision()
    stored = _store_assessments(args.assessments)
    _add_corrected_revision()
    try:
        floor, count = _time_floor()
        assert count == stored
        peaks = Peaks()
        with peaks.measure():
            started = time.perf_counter()
            preview = rescore_preview(version_code="2024")
            seconds = time.perf_counter() - started
        assert preview.examined == stored, preview.examined
    finally:
        _cleanup()
    print(
        f"rescore_preview: {seconds:.2f} s over {stored} assessments, "
        f"{preview.level_changes} level changes; floor (read only) {floor:.2f} s",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "name": "rescore_preview",
                "assessments": stored,
                "seconds": round(seconds, 3),
                "floor_seconds": round(floor, 3),
                "ratio": round(seconds / floor, 2),
                "level_changes": preview.level_changes,
                **peaks.as_json(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
