"""Report covers name who issues the report and the day it was requested, frozen with the data."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from reports import rendering, services
from reports.models import ReportJob, ReportJobState, ReportSettings
from reports.selectors import national_issuer
from reports.snapshots import build_snapshot, snapshot_hash
from tests.assessments.factories import AssessmentFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 4)


def cover(kind: str, snapshot: dict) -> str:
    html = rendering.render_html(kind, snapshot, snapshot_hash=snapshot_hash(snapshot))
    found = re.search(r'<section class="cover">(.*?)</section>', html, re.DOTALL)
    assert found, "the report has a cover"
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", found.group(1)))


def test_every_cover_names_its_issuer_and_the_issue_date(city, enterprise):
    assessment = AssessmentFactory(enterprise=enterprise, submitted=True)

    # Blank issuers: the city's department in charge, the ministry's SME bureau.
    city_cover = cover("city", build_snapshot("city", city_code="HHHT", issued_on=DAY))
    assert "呼和浩特市工业和信息化主管部门2026年12月4日" in city_cover
    national_cover = cover("national", build_snapshot("national", issued_on=DAY))
    assert "工业和信息化部中小企业局2026年12月4日" in national_cover

    # Set in the admin: the city's own (also on its enterprises' assessment reports) and the
    # ministry's.
    city.report_issuer = "呼和浩特市工业和信息化局"
    city.save()
    ReportSettings.objects.update_or_create(pk=1, defaults={"national_issuer": "工业和信息化部"})
    city_cover = cover("city", build_snapshot("city", city_code="HHHT", issued_on=DAY))
    assert "呼和浩特市工业和信息化局2026年12月4日" in city_cover
    snapshot = build_snapshot("assessment", assessment_id=assessment.pk, issued_on=DAY)
    assert "呼和浩特市工业和信息化局2026年12月4日" in cover("assessment", snapshot)
    national_cover = cover("national", build_snapshot("national", issued_on=DAY))
    assert "工业和信息化部2026年12月4日" in national_cover


def test_the_issuer_is_hashed_with_the_data_and_the_issue_date_is_not(city, sub_industry):
    first = build_snapshot("city", city_code="HHHT", as_of=DAY, issued_on=DAY)
    later = build_snapshot("city", city_code="HHHT", as_of=DAY, issued_on=DAY + dt.timedelta(9))
    assert later["issued_on"] != first["issued_on"]
    assert snapshot_hash(later) == snapshot_hash(first)  # the same report of the same data
    city.report_issuer = "呼和浩特市工业和信息化局"
    city.save()
    renamed = build_snapshot("city", city_code="HHHT", as_of=DAY, issued_on=DAY)
    assert snapshot_hash(renamed) != snapshot_hash(first)


def test_asked_for_again_on_a_later_day_the_report_keeps_its_first_issue_date(
    renderer, city_official, sub_industry, django_capture_on_commit_callbacks, monkeypatch
):
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.report_request(
            actor=city_official, kind="city", city_code="HHHT", as_of=today
        )
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today + dt.timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        again = services.report_request(
            actor=city_official, kind="city", city_code="HHHT", as_of=today
        )
    assert again.pk == first.pk and renderer.calls == 1
    assert again.snapshot["issued_on"] == today.isoformat()


def pdf_cover_text(response) -> str:
    pdf = b"".join(response.streaming_content)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-f", "1", "-l", "1", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return "".join(text.split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_a_changed_issuer_makes_a_new_report_and_leaves_the_old_one_as_it_was(
    client,
    settings,
    tmp_path: Path,
    city,
    city_official,
    sub_industry,
    django_capture_on_commit_callbacks,
):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTS_RENDERER = "reports.rendering.render_pdf"
    client.force_login(city_official)
    issued = timezone.localdate()
    date_text = f"{issued.year}年{issued.month}月{issued.day}日"

    def request() -> ReportJob:
        with django_capture_on_commit_callbacks(execute=True):
            job = services.report_request(actor=city_official, kind="city", city_code="HHHT")
        job.refresh_from_db()
        assert job.state == ReportJobState.DONE
        return job

    def downloaded(job: ReportJob) -> str:
        return pdf_cover_text(client.get(reverse("reports:report_download", args=[job.pk])))

    old = request()
    assert f"呼和浩特市工业和信息化主管部门{date_text}" in downloaded(old)

    city.report_issuer = "呼和浩特市工业和信息化局"
    city.save()
    new = request()
    assert new.pk != old.pk and new.snapshot_hash != old.snapshot_hash
    assert f"呼和浩特市工业和信息化局{date_text}" in downloaded(new)
    old.refresh_from_db()
    assert old.snapshot["issuer"] == "呼和浩特市工业和信息化主管部门"
    assert f"呼和浩特市工业和信息化主管部门{date_text}" in downloaded(old)


def test_the_administrator_edits_both_issuers_in_the_admin(client, admin_user_, city):
    client.force_login(admin_user_)
    change = reverse("admin:reports_reportsettings_change", args=[1])
    page = client.get(change)
    assert page.status_code == 200 and "全国报告发布单位" in page.content.decode()
    too_long = client.post(change, {"national_issuer": "局" * 101})
    assert too_long.status_code == 200  # the form again, the field's error on it
    assert "national_issuer" in too_long.context["adminform"].form.errors
    assert national_issuer() == "工业和信息化部中小企业局"  # nothing written
    response = client.post(change, {"national_issuer": "工业和信息化部中小企业局（测试）"})
    assert response.status_code == 302
    assert national_issuer() == "工业和信息化部中小企业局（测试）"
    # One row: none to add, none to delete.
    assert client.get(reverse("admin:reports_reportsettings_add")).status_code == 403
    assert client.get(reverse("admin:reports_reportsettings_delete", args=[1])).status_code == 403

    city_page = client.get(reverse("admin:cities_pilotcity_change", args=[city.pk]))
    assert 'name="report_issuer"' in city_page.content.decode()
