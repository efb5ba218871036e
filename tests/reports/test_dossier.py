"""The 一企一档 dossier of one enterprise (report kind "dossier"): its content, read back from a
real PDF, and who may request and see it (out of scope: 404)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.urls import reverse

from reports import services, snapshots
from reports.models import ReportJob, ReportKind
from reports.rendering import render_pdf
from reports.selectors import report_job_get_visible
from sme_pilot.errors import NotFound
from tests.reports.dossier_world import enterprise_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(enterprise, other_enterprise, city_official, other_city_official, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return (
        enterprise_file(enterprise, tag="甲", year=2025, official=city_official),
        enterprise_file(other_enterprise, tag="乙", year=2024, official=other_city_official),
    )


def pdf_text(pdf: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    # Table cells may wrap: compare without white space.
    return "".join(done.stdout.decode("utf-8").split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_dossier_pdf_holds_every_assessment_and_move_of_its_enterprise_and_none_of_another(
    files, enterprise, other_enterprise
):
    mine, other = files
    snapshot = snapshots.build_snapshot("dossier", enterprise_id=enterprise.pk)
    digest = snapshots.snapshot_hash(snapshot)
    text = pdf_text(render_pdf("dossier", snapshot, snapshot_hash=digest))

    assert enterprise.name in text and enterprise.uscc in text
    for day in mine.assessed_on:
        assert day in text, day
    assert mine.draft_on not in text  # a draft is not part of the file
    for move in mine.moves:
        assert "".join(move["at"].split()) in text, move
        assert move["actor"] in text and move["comment"] in text, move
    for label in ("申报入库", "入库", "申报完工", "确认验收通过"):  # the moves, by name
        assert label in text
    assert "HT-甲-001" in text and "300000.00" in text  # contract and investment
    assert "一企一档材料齐全" in text and "4分" in text  # checklist and the enterprise's rating
    assert mine.sha256 in text and "甲合同.pdf" in text  # the document index
    assert "三级" in text  # the after-level

    for leaked in (other_enterprise.name, other_enterprise.uscc, other.sha256, "HT-乙", "乙经办人"):
        assert leaked not in text, leaked
    for day in other.assessed_on:
        assert day not in text, day
    for move in other.moves:
        assert move["comment"] not in text


def test_an_enterprise_without_a_project_has_a_dossier_of_its_profile_and_assessments(
    enterprise,
):
    from tests.assessments.factories import AssessmentFactory

    AssessmentFactory(enterprise=enterprise, submitted=True)
    snapshot = snapshots.build_snapshot("dossier", enterprise_id=enterprise.pk)
    assert snapshot["project"] is None
    assert [a["state"] for a in snapshot["assessments"]] == ["已提交"]


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("city_official", True),
        ("assessor", True),
        ("enterprise_user", True),
        ("province_official", True),
        ("ministry_user", True),
        ("admin_user_", True),
        ("other_city_official", False),
        ("other_enterprise_user", False),
        ("provider_user", False),
    ],
)
def test_who_may_request_and_see_a_dossier(request, renderer, enterprise, who, allowed):
    user = request.getfixturevalue(who)
    if not allowed:
        with pytest.raises(NotFound):
            services.report_request(actor=user, kind="dossier", enterprise_id=enterprise.pk)
        assert not ReportJob.objects.exists()
        return
    job = services.report_request(actor=user, kind="dossier", enterprise_id=enterprise.pk)
    assert (job.kind, job.enterprise) == (ReportKind.DOSSIER, enterprise)
    assert report_job_get_visible(user=user, pk=job.pk) == job


def test_a_dossier_job_is_404_out_of_scope_and_downloads_in_scope(
    client,
    renderer,
    django_capture_on_commit_callbacks,
    enterprise,
    city_official,
    other_city_official,
    district_official,
):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.report_request(
            actor=city_official, kind="dossier", enterprise_id=enterprise.pk
        )
    # A district official sees only its district's enterprises: this one has no district.
    for outsider in (other_city_official, district_official):
        client.force_login(outsider)
        for name in ("report_detail", "report_progress", "report_download"):
            assert client.get(reverse(f"reports:{name}", args=[job.pk])).status_code == 404
        response = client.post(
            reverse("reports:report_request"), {"kind": "dossier", "enterprise_id": enterprise.pk}
        )
        assert response.status_code == 404
    client.force_login(city_official)
    response = client.get(reverse("reports:report_download", args=[job.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert (
        "%E4%BC%81%E4%B8%9A%E4%B8%80%E4%BC%81%E4%B8%80%E6%A1%A3" in response["Content-Disposition"]
    )  # 企业一企一档
    b"".join(response.streaming_content)
    response.close()


def test_the_project_page_offers_the_dossier_to_staff_but_not_to_the_provider(
    client, enterprise, city_official, provider_user
):
    from projects.models import Project

    project = Project.objects.create(enterprise=enterprise, provider=provider_user.provider)
    client.force_login(city_official)
    page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    assert 'id="dossier-request"' in page and f'value="{enterprise.pk}"' in page
    assert f"生成{ReportKind.DOSSIER.label}</button>" in page
    client.force_login(provider_user)
    page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    assert 'id="dossier-request"' not in page
