"""Drill: the worker packing a 一企一档 ZIP is SIGKILLed mid-way, through real Celery workers
(Redis + PostgreSQL). The sweeper puts the job back; a new worker resumes after the dossiers the
dead one finished and produces exactly one complete archive, with nothing else left on disk."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import zipfile

import pytest
from django.db import transaction
from django.utils import timezone

from projects.models import Project
from reports import dossier_archive as archives
from reports.models import DossierArchive, DossierArchiveState
from tests.cities.factories import EnterpriseFactory
from tests.conftest import skip_without_worker_services, wait_for

pytestmark = [
    pytest.mark.drill,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    skip_without_worker_services,
]

ENTERPRISES = 5
RENDERER = {"REPORTS_RENDERER": "tests.reports.dossier_fakes.render_with_pid"}


def state_is(archive: DossierArchive, state: str):
    def check():
        archive.refresh_from_db()
        return archive.state == state

    return check


def test_a_zip_whose_worker_is_killed_resumes_and_completes_exactly_once(
    start_celery_worker, settings, tmp_path, city_official, sub_industry
):
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    env = {"DJANGO_SETTINGS_MODULE": "tests.drills.worker_settings", "DRILL_MEDIA_ROOT": str(media)}
    firms = [EnterpriseFactory(sub_industry=sub_industry) for _ in range(ENTERPRISES)]
    for firm in firms:
        Project.objects.create(enterprise=firm, applied_on="2025-03-01")
    first = start_celery_worker({**env, **RENDERER, "FAKE_RENDER_SECONDS": "1"})
    with transaction.atomic():
        archive = archives.archive_request(
            actor=city_official, city_id=None, filters=archives.read_filters({})
        )
    work = media / "dossiers" / f"work-{archive.pk}"

    def rendered() -> list[str]:
        return sorted(n for n in os.listdir(work) if n.endswith(".pdf")) if work.exists() else []

    wait_for(lambda: len(rendered()) >= 2, what="the worker to render two dossiers")
    os.kill(first.pid, signal.SIGKILL)  # solo pool: the worker is the process rendering
    first.wait(timeout=20)
    done_before = rendered()
    assert 2 <= len(done_before) < ENTERPRISES
    archive.refresh_from_db()
    assert (archive.state, archive.attempts, archive.file.name) == (
        DossierArchiveState.PACKING,
        1,
        "",
    )
    assert not (media / archives.archive_file_name(archive)).exists()

    start_celery_worker({**env, **RENDERER, "FAKE_RENDER_SECONDS": "0"})
    # Nothing would redeliver the task for 30 minutes (visibility_timeout): the sweeper, as beat
    # runs it, finds the job left behind once it cannot still be running, and requeues it.
    assert archives.archives_sweep()["requeued"] == 0  # too soon
    result = archives.archives_sweep(now=timezone.now() + dt.timedelta(hours=1))
    assert (result["requeued"], result["enqueued"]) == (1, 1)
    wait_for(state_is(archive, DossierArchiveState.DONE), what="a new worker to finish the ZIP")
    assert (archive.attempts, archive.progress_percent) == (2, 100)

    with archive.file.open("rb") as handle, zipfile.ZipFile(handle) as zf:
        assert zf.testzip() is None
        pdfs = {n: zf.read(n) for n in zf.namelist() if n.endswith(".pdf")}
    assert sorted(pdfs) == sorted(f"{e.uscc}_{e.name}.pdf" for e in firms)
    pids = {re.search(rb"% pid (\d+) ", body).group(1) for body in pdfs.values()}
    # Resumed, not restarted: the dead worker's dossiers are in the archive as it wrote them.
    killed = [n for n, body in pdfs.items() if f"% pid {first.pid} ".encode() in body]
    assert len(killed) == len(done_before) and len(pids) == 2
    # Exactly one archive, no work folder, no temporary file.
    assert os.listdir(media / "dossiers") == [os.path.basename(archive.file.name)]
    # Swept again later: nothing left to do.
    assert archives.archives_sweep(now=timezone.now() + dt.timedelta(hours=2))["enqueued"] == 0
