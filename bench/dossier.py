"""Benchmark: the 一企一档 ZIP (reports.dossier_archive) of N enterprises with full dossiers, time
and the packing process's memory as the count grows (goal: memory flat in the number of
enterprises), against the WeasyPrint renders alone as the floor.

Needs DATABASE_URL pointing at a PostgreSQL benchmark database (name containing "bench").
Data: one pilot city with N enterprises (`bench.generate`, through `import_data`), each with a
project at 验收通过 (six stage moves by two named people, two investment lines, a checklist,
a document row) and three assessments (self, baseline on site, post on site).
The archive is packed by `dossier_archive.archive_run` in a fresh process, as a worker does it
(one task: the slice is set longer than the run), with the real renderer. After its start-up
(one dossier rendered and thrown away: fontconfig, the CJK font's first load, the templates),
the process's resident set (VmRSS) and its high-water mark (VmHWM) are sampled after every
tenth of the enterprises. Flat: the peak after N/10 dossiers and after all N differ by little.
- seconds: the whole run (snapshots, renders, files, the ZIP); floor_seconds: the time spent
  inside WeasyPrint (layout + PDF) over the same run; ratio = seconds / floor_seconds.
Last line, one JSON object: {"name": "dossier_zip", "enterprises": N, "seconds": …,
"floor_seconds": …, "ratio": …, "ms_per_dossier": …, "zip_mb": …, "peak_rss_mb_at": {"N/10": …,
"N": …}, "rss_mb_samples": [[count, rss], …], "peak_growth_mb": …}

`--keep-data` leaves the data for a second run with `--reuse-data`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from typing import Any

from bench.memory import status_mb
from bench.setup import empty_enterprise_tables, load_roster, open_bench_database

STATS: dict[str, Any] = {"calls": 0, "render_seconds": 0.0, "samples": [], "total": 0}


def render_and_sample(kind: str, snapshot: dict[str, Any], *, snapshot_hash: str) -> bytes:
    """The real renderer (settings.REPORTS_RENDERER in the child), timed, sampling memory."""
    from reports.rendering import render_pdf

    t0 = time.perf_counter()
    pdf = render_pdf(kind, snapshot, snapshot_hash=snapshot_hash)
    STATS["render_seconds"] += time.perf_counter() - t0
    STATS["calls"] += 1
    step = max(1, STATS["total"] // 10)
    if STATS["calls"] % step == 0 or STATS["calls"] == STATS["total"]:
        STATS["samples"].append([STATS["calls"], status_mb("VmRSS"), status_mb("VmHWM")])
    return pdf


def _seed(n: int) -> None:
    """N enterprises (one city) with a project at 验收通过 and three assessments each."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Role, User
    from assessments.models import Assessment
    from assessments.services import refresh_current_level
    from cities.models import Enterprise
    from projects import rules
    from projects.models import InvestmentLine, Project, ProjectDocument, ProjectEvent

    load_roster(cities=1, enterprises=n)
    official, _ = User.objects.get_or_create(
        username="bench-dossier-official", defaults={"role": Role.ADMIN}
    )
    mover, _ = User.objects.get_or_create(
        username="bench-dossier-mover", defaults={"role": Role.ADMIN, "display_name": "经办人"}
    )
    now = timezone.now()
    day = dt.date(2025, 3, 1)
    ids = list(Enterprise.objects.order_by("pk").values_list("pk", flat=True)[:n])
    Assessment.objects.bulk_create(
        [
            Assessment(
                enterprise_id=pk,
                purpose=purpose,
                method=method,
                state="confirmed" if method == "onsite" else "submitted",
                source="import",
                level=level,
                total_score=Decimal("61.500"),
                assessed_on=day + dt.timedelta(days=offset),
                confirmed_at=now if method == "onsite" else None,
            )
            for pk in ids
            for purpose, method, level, offset in (
                ("self_check", "self", 1, 0),
                ("baseline", "onsite", 1, 20),
                ("post", "onsite", 3, 200),
            )
        ],
        batch_size=5000,
    )
    refresh_current_level(ids)  # written past the services: keep the current level as they do
    # Every stage up to 验收通过: applied on day 0, …, accepted on day 210.
    offsets = dict(zip(rules.STAGES[:8], (0, 10, 20, 30, 40, 190, 195, 210), strict=True))
    dates = {rules.date_field(s): day + dt.timedelta(days=n) for s, n in offsets.items()}
    checklist = dict.fromkeys(
        ("systems_in_use", "contract_genuine", "invoices_genuine", "dossier_complete"), True
    )
    projects = Project.objects.bulk_create(
        [
            Project(
                enterprise_id=pk,
                contract_no=f"HT-{pk}",
                contract_amount=Decimal("500000.00"),
                satisfaction=4,
                after_level=3,
                acceptance_checklist=checklist,
                **dates,
            )
            for pk in ids
        ],
        batch_size=2000,
    )
    InvestmentLine.objects.bulk_create(
        [
            InvestmentLine(project=p, category=c, amount=Decimal(a))
            for p in projects
            for c, a in (("software", "300000"), ("office_it", "20000"))
        ],
        batch_size=5000,
    )
    moves = ("apply", "admit", "select_provider", "complete", "apply_acceptance", "accept")
    ProjectEvent.objects.bulk_create(
        [
            ProjectEvent(
                project=p,
                move=m,
                actor=official if i % 2 else mover,
                at=now - dt.timedelta(days=300 - 30 * i),
                comment=f"第{i + 1}步",
            )
            for p in projects
            for i, m in enumerate(moves)
        ],
        batch_size=5000,
    )
    digest = hashlib.sha256(b"bench").hexdigest()
    ProjectDocument.objects.bulk_create(
        [
            ProjectDocument(
                project=p,
                stage="contract_filed",
                doc_type="contract",
                file=f"projects/bench/{p.pk}.pdf",
                original_name="合同.pdf",
                content_type="application/pdf",
                size=1024,
                sha256=digest,
                uploaded_by=mover,
            )
            for p in projects
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _one(n: int) -> int:
    """Child process: pack the archive of the first N enterprises, print the figures."""
    from bench.import_enterprises import _require_bench_database, _setup_django

    _require_bench_database()
    os.environ["DOSSIER_ZIP_SLICE_SECONDS"] = str(24 * 3600)
    os.environ["DOSSIER_ZIP_SLICE_DOSSIERS"] = str(10**9)
    os.environ["REPORTS_RENDERER"] = "bench.dossier.render_and_sample"
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="sme-bench-dossier-")
    _setup_django()
    from django.db import connection

    from accounts.models import User
    from bench import dossier as imported  # the renderer's module (this one runs as __main__)
    from cities.models import Enterprise, PilotCity
    from reports import dossier_archive, snapshots
    from reports.models import DossierArchive
    from reports.rendering import render_pdf

    ids = list(Enterprise.objects.order_by("uscc").values_list("pk", flat=True)[:n])
    # Start-up, as a worker pays it once: one dossier rendered and thrown away.
    warm = snapshots.build_snapshot("dossier", enterprise_id=ids[0])
    render_pdf("dossier", warm, snapshot_hash=snapshots.snapshot_hash(warm))
    stats = imported.STATS
    stats["total"] = len(ids)
    start_rss = status_mb("VmRSS")
    archive = DossierArchive.objects.create(
        requested_by=User.objects.get(username="bench-dossier-official"),
        city=PilotCity.objects.get(),
        enterprise_ids=ids,
        enterprise_count=len(ids),
    )
    t0 = time.perf_counter()
    dossier_archive.archive_run(archive.pk)
    seconds = time.perf_counter() - t0
    archive.refresh_from_db()
    assert archive.state == "done", (archive.state, archive.error_message)
    size_mb = round(archive.size / 1024 / 1024, 1)
    os.unlink(archive.file.path)
    DossierArchive.objects.filter(pk=archive.pk).delete()
    connection.close()
    samples = stats["samples"]
    tenth = samples[0] if samples else [0, 0.0, 0.0]
    floor = stats["render_seconds"]
    print(
        json.dumps(
            {
                "name": "dossier_zip",
                "enterprises": len(ids),
                "seconds": round(seconds, 1),
                "floor_seconds": round(floor, 1),
                "ratio": round(seconds / floor, 3) if floor else None,
                "ms_per_dossier": round(1000 * seconds / len(ids), 1),
                "zip_mb": size_mb,
                "start_rss_mb": start_rss,
                "peak_rss_mb_at": {str(tenth[0]): tenth[2], str(len(ids)): status_mb("VmHWM")},
                "peak_growth_mb": round(status_mb("VmHWM") - tenth[2], 1),
                "rss_mb_samples": [[c, rss] for c, rss, _ in samples],
            }
        ),
        flush=True,
    )
    return 0


def _slice(archive_id: int, per_slice: int) -> int:
    """Child process: one task's run of the archive (at most `per_slice` dossiers), as a PDF
    worker child that is recycled after each task runs it; prints its figures."""
    from bench.import_enterprises import _require_bench_database, _setup_django

    _require_bench_database()
    os.environ["DOSSIER_ZIP_SLICE_SECONDS"] = str(24 * 3600)
    os.environ["DOSSIER_ZIP_SLICE_DOSSIERS"] = str(per_slice)
    os.environ["REPORTS_RENDERER"] = "bench.dossier.render_and_sample"
    _setup_django()
    from bench import dossier as imported
    from reports import dossier_archive

    stats = imported.STATS
    stats["total"] = 10**9  # no samples: the child reports its own figures below
    # The next slice is the parent's next child process, not a task sent to a broker.
    dossier_archive.jobs.enqueue = lambda *a, **k: True  # type: ignore[assignment]
    archive = dossier_archive.archive_run(archive_id)
    assert archive is not None and archive.state in ("queued", "done"), archive
    print(
        json.dumps(
            {
                "state": archive.state,
                "rendered": stats["calls"],
                "render_seconds": stats["render_seconds"],
                "rss_mb": status_mb("VmRSS"),
                "peak_rss_mb": status_mb("VmHWM"),
            }
        ),
        flush=True,
    )
    return 0


def _sliced(n: int, per_slice: int) -> dict[str, Any]:
    """The archive of the first N enterprises, one fresh process per slice of `per_slice`."""
    from accounts.models import User
    from cities.models import Enterprise, PilotCity
    from reports.models import DossierArchive

    media = tempfile.mkdtemp(prefix="sme-bench-dossier-")
    ids = list(Enterprise.objects.order_by("uscc").values_list("pk", flat=True)[:n])
    archive = DossierArchive.objects.create(
        requested_by=User.objects.get(username="bench-dossier-official"),
        city=PilotCity.objects.get(),
        enterprise_ids=ids,
        enterprise_count=len(ids),
    )
    env = {**os.environ, "MEDIA_ROOT": media}
    cmd = [sys.executable, "-m", "bench.dossier", "--slice-of", str(archive.pk)]
    cmd += ["--per-slice", str(per_slice)]
    children: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    while True:
        done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"dossier ZIP slice failed (exit {done.returncode})")
        children.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"slice {len(children)}: {children[-1]}", file=sys.stderr, flush=True)
        if children[-1]["state"] == "done":
            break
    seconds = time.perf_counter() - t0
    archive.refresh_from_db()
    size_mb = round(archive.size / 1024 / 1024, 1)
    os.unlink(os.path.join(media, archive.file.name))
    DossierArchive.objects.filter(pk=archive.pk).delete()
    floor = sum(c["render_seconds"] for c in children)
    peaks = [c["peak_rss_mb"] for c in children]
    return {
        "name": "dossier_zip_sliced",
        "enterprises": len(ids),
        "per_slice": per_slice,
        "processes": len(children),
        "seconds": round(seconds, 1),
        "floor_seconds": round(floor, 1),
        "ratio": round(seconds / floor, 3) if floor else None,
        "ms_per_dossier": round(1000 * seconds / len(ids), 1),
        "zip_mb": size_mb,
        "peak_rss_mb_first": peaks[0],
        "peak_rss_mb_last": peaks[-1],
        "peak_rss_mb_max": max(peaks),
        "peak_rss_mb_by_slice": peaks,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="一企一档 ZIP: time and memory")
    parser.add_argument("--enterprises", type=int, default=2_000)
    parser.add_argument("--keep-data", action="store_true", help="leave the data loaded")
    parser.add_argument("--reuse-data", action="store_true", help="use the data already loaded")
    parser.add_argument(
        "--per-slice",
        type=int,
        default=0,
        help="dossiers per process (a recycled worker child per task); 0: one process for all",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--slice-of", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        return _one(args.one)
    if args.slice_of:
        return _slice(args.slice_of, max(1, args.per_slice))

    open_bench_database()
    from django.db import connections

    if not args.reuse_data:
        _seed(args.enterprises)
    try:
        if args.per_slice:
            result = _sliced(args.enterprises, args.per_slice)
            print(json.dumps(result))
            return 0
        connections.close_all()
        cmd = [sys.executable, "-m", "bench.dossier", "--one", str(args.enterprises)]
        done = subprocess.run(
            cmd, env=os.environ.copy(), stdout=subprocess.PIPE, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"dossier ZIP run failed (exit {done.returncode})")
        result = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if not (args.keep_data or args.reuse_data):
            empty_enterprise_tables()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
