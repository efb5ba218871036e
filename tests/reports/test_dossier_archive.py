"""一企一档批量下载 in process (tasks eager, the fake renderer): the ZIP holds one PDF per
enterprise of the filter and an index, nothing else is left on disk; over the limit of
enterprises or of requests nothing is written; a district official packs its district only; out
of scope is 404."""

from __future__ import annotations

import csv
import io
import os
import zipfile

import pytest
from django.urls import reverse

from projects.models import Project
from reports import dossier_archive as archives
from reports.models import DossierArchive, DossierArchiveState
from sme_pilot.errors import NotFound
from tests.cities.factories import EnterpriseFactory
from tests.conftest import drain
from tests.reports import fakes

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(sub_industry, district, other_enterprise):
    """Three projects in city A (one in district D1, one at `accepted`), one in city B."""
    firms = [EnterpriseFactory(sub_industry=sub_industry) for _ in range(3)]
    firms[0].district = district
    firms[0].save()
    made = [Project.objects.create(enterprise=e, applied_on="2025-03-01") for e in firms]
    Project.objects.create(enterprise=other_enterprise, applied_on="2025-03-01")
    return made


def members(archive: DossierArchive) -> dict[str, bytes]:
    with archive.file.open("rb") as handle, zipfile.ZipFile(handle) as zf:
        assert zf.testzip() is None
        return {name: zf.read(name) for name in zf.namelist()}


def test_an_archive_holds_one_pdf_per_enterprise_and_an_index_and_leaves_nothing_else(
    renderer, settings, monkeypatch, django_capture_on_commit_callbacks, projects, city_official
):
    settings.DOSSIER_ZIP_SLICE_DOSSIERS = 2  # two dossiers per task: the job goes on in slices
    runs = []
    run = archives.archive_run
    monkeypatch.setattr(archives, "archive_run", lambda pk: runs.append(pk) or run(pk))
    with django_capture_on_commit_callbacks(execute=True):
        archive = archives.archive_request(
            actor=city_official, city_id=city_official.city_id, filters=archives.read_filters({})
        )
    archive.refresh_from_db()
    assert (archive.state, archive.progress_percent) == (DossierArchiveState.DONE, 100)
    assert len(runs) == 2 and archive.attempts == 1  # two tasks; the first handed its attempt back
    assert renderer.calls == 3
    found = members(archive)
    firms = sorted((p.enterprise for p in projects), key=lambda e: e.uscc)
    pdfs = [f"{e.uscc}_{e.name}.pdf" for e in firms]
    assert sorted(found) == sorted([*pdfs, archives.INDEX_NAME])
    assert all(found[name] == fakes.FAKE_PDF for name in pdfs)
    index = list(csv.reader(io.StringIO(found[archives.INDEX_NAME].decode("utf-8-sig"))))
    assert [row[1] for row in index[1:]] == [e.uscc for e in firms]
    folder = os.path.dirname(archive.file.path)
    assert os.listdir(folder) == [os.path.basename(archive.file.name)]  # no work folder, no .part


def test_a_filtered_archive_and_a_district_officials_hold_only_their_enterprises(
    renderer, projects, city_official, district_official, district
):
    by_name = archives.archive_request(
        actor=city_official,
        city_id=None,
        filters=archives.read_filters({"q": projects[1].enterprise.name}),
    )
    assert by_name.enterprise_ids == [projects[1].enterprise_id]
    # The district official asks for the whole city: gets its district.
    mine = archives.archive_request(
        actor=district_official, city_id=None, filters=archives.read_filters({})
    )
    assert (mine.enterprise_ids, mine.district) == ([projects[0].enterprise_id], district)
    assert archives.archive_list_visible_to(user=district_official).get() == mine


def test_more_enterprises_than_the_limit_are_refused_with_a_hint_and_nothing_written(
    client, renderer, settings, projects, city_official
):
    settings.DOSSIER_ZIP_MAX_ENTERPRISES = 2
    with pytest.raises(archives.ArchiveTooLarge) as refused:
        archives.archive_request(
            actor=city_official, city_id=None, filters=archives.read_filters({})
        )
    assert "共有 3 家企业" in refused.value.message and "筛选" in refused.value.message
    client.force_login(city_official)
    response = client.post(reverse("reports:dossier_archive_request"), {})
    assert response.status_code == 400
    assert "超过一次打包的上限 2 家" in response.content.decode()
    assert not DossierArchive.objects.exists()
    # The preview says so before anyone asks, and offers no button.
    page = client.get(reverse("reports:dossier_archive_list")).content.decode()
    assert 'id="archive-too-many"' in page and 'id="archive-submit"' not in page


def test_requests_over_the_hourly_limit_get_429_and_write_nothing(
    client, renderer, settings, projects, city_official
):
    settings.DOSSIER_ZIP_REQUESTS_PER_HOUR = 1
    client.force_login(city_official)
    first = client.post(reverse("reports:dossier_archive_request"), {"stage": "applied"})
    assert first.status_code == 302
    second = client.post(reverse("reports:dossier_archive_request"), {})
    assert second.status_code == 429 and int(second["Retry-After"]) > 0
    assert "过于频繁" in second.content.decode()
    assert DossierArchive.objects.count() == 1


def test_bad_filters_are_a_400_with_the_reason(client, renderer, projects, city_official):
    client.force_login(city_official)
    response = client.post(reverse("reports:dossier_archive_request"), {"stage": "nope"})
    assert response.status_code == 400 and "未知的阶段" in response.content.decode()
    assert not DossierArchive.objects.exists()


def test_archives_are_their_requesters_and_out_of_scope_is_404(
    client,
    renderer,
    django_capture_on_commit_callbacks,
    projects,
    city_official,
    other_city_official,
    provider_user,
    enterprise_user,
):
    with django_capture_on_commit_callbacks(execute=True):
        archive = archives.archive_request(
            actor=city_official, city_id=None, filters=archives.read_filters({})
        )
    for outsider in (other_city_official, provider_user, enterprise_user):
        client.force_login(outsider)
        for name in ("dossier_archive_detail", "dossier_archive_progress"):
            assert client.get(reverse(f"reports:{name}", args=[archive.pk])).status_code == 404
        download = reverse("reports:dossier_archive_download", args=[archive.pk])
        assert client.get(download).status_code == 404
        # Nor may they ask for city A's archive.
        with pytest.raises(NotFound):
            archives.archive_request(
                actor=outsider, city_id=city_official.city_id, filters=archives.read_filters({})
            )
    client.force_login(city_official)
    fragment = client.get(reverse("reports:dossier_archive_progress", args=[archive.pk]))
    assert 'id="archive-download"' in fragment.content.decode()
    response = client.get(reverse("reports:dossier_archive_download", args=[archive.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(drain(response))) as zf:
        assert len(zf.namelist()) == 4


def test_the_sweeper_removes_what_finished_archives_left_on_disk(
    renderer, settings, projects, city_official
):
    archive = archives.archive_request(
        actor=city_official, city_id=None, filters=archives.read_filters({})
    )
    running = archives.archive_request(
        actor=city_official, city_id=None, filters=archives.read_filters({"stage": "applied"})
    )
    folder = settings.MEDIA_ROOT / "dossiers"
    for a in (archive, running):
        (folder / f"work-{a.pk}").mkdir(parents=True)
        (folder / f"work-{a.pk}" / "1.pdf").write_bytes(fakes.FAKE_PDF)
        (folder / f"dossier-archive-{a.pk}.zip.part").write_bytes(b"PK")
    DossierArchive.objects.filter(pk=archive.pk).update(state=DossierArchiveState.FAILED)

    assert archives.archives_sweep()["removed"] == 2
    # The running archive's work is its resumption: kept.
    assert sorted(os.listdir(folder)) == [
        f"dossier-archive-{running.pk}.zip.part",
        f"work-{running.pk}",
    ]
