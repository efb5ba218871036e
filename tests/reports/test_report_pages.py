"""Report pages: who may request, follow and download each kind of report (tasks run inline)."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

import pytest
from django.urls import reverse

from reports import services
from reports.models import ReportDownload, ReportJob, ReportJobState
from tests.assessments.factories import AssessmentFactory
from tests.conftest import drain
from tests.reports.fakes import FAKE_PDF as PDF

pytestmark = pytest.mark.django_db

ROLES = [
    "ministry_user",
    "city_official",
    "other_city_official",
    "enterprise_user",
    "other_enterprise_user",
    "assessor",
    "anonymous",
]
# Who sees each kind of report (the city and the assessment are 呼和浩特's).
ALLOWED = {
    "city": {"ministry_user", "city_official"},
    "national": {"ministry_user"},
    "assessment": {"ministry_user", "city_official", "enterprise_user", "assessor"},
}


@pytest.fixture(autouse=True)
def _fake_renderer(renderer):
    return renderer


@pytest.fixture
def people(
    request,
    ministry_user,
    city_official,
    other_city_official,
    enterprise_user,
    other_enterprise_user,
    assessor,
):
    return {
        "ministry_user": ministry_user,
        "city_official": city_official,
        "other_city_official": other_city_official,
        "enterprise_user": enterprise_user,
        "other_enterprise_user": other_enterprise_user,
        "assessor": assessor,
        "anonymous": None,
    }


@pytest.fixture
def assessment(enterprise):
    return AssessmentFactory(enterprise=enterprise, submitted=True)


def request_data(kind, assessment):
    return {
        "city": {"kind": "city", "city_code": "HHHT"},
        "national": {"kind": "national"},
        "assessment": {"kind": "assessment", "assessment_id": assessment.pk},
    }[kind]


@pytest.fixture
def done_jobs(people, assessment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        jobs = {
            "city": services.report_request(
                actor=people["ministry_user"], kind="city", city_code="HHHT"
            ),
            "national": services.report_request(actor=people["ministry_user"], kind="national"),
            "assessment": services.report_request(
                actor=people["ministry_user"], kind="assessment", assessment_id=assessment.pk
            ),
        }
    for job in jobs.values():
        job.refresh_from_db()
        assert job.state == ReportJobState.DONE
    return jobs


@pytest.mark.parametrize("kind", ["city", "national", "assessment"])
@pytest.mark.parametrize("role", ROLES)
def test_request_is_allowed_only_within_scope(
    client, people, assessment, role, kind, django_capture_on_commit_callbacks
):
    if people[role] is not None:
        client.force_login(people[role])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:report_request"), request_data(kind, assessment))
    if role == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
        assert not ReportJob.objects.exists()
    elif role in ALLOWED[kind]:
        job = ReportJob.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("reports:report_detail", args=[job.pk])
        assert job.state == ReportJobState.DONE
    else:
        assert response.status_code == 404
        assert not ReportJob.objects.exists()


@pytest.mark.parametrize("kind", ["city", "national", "assessment"])
@pytest.mark.parametrize("role", ROLES)
def test_status_and_download_are_allowed_only_within_scope(client, people, done_jobs, role, kind):
    job = done_jobs[kind]
    if people[role] is not None:
        client.force_login(people[role])
    urls = [
        reverse(name, args=[job.pk])
        for name in ("reports:report_detail", "reports:report_progress", "reports:report_download")
    ]
    responses = [client.get(url) for url in urls]
    if role == "anonymous":
        assert all(r.status_code == 302 and "/login/" in r["Location"] for r in responses)
    elif role in ALLOWED[kind]:
        assert [r.status_code for r in responses] == [200, 200, 200]
        assert drain(responses[2]) == PDF
    else:
        assert [r.status_code for r in responses] == [404, 404, 404]
    expected = 1 if role in ALLOWED[kind] else 0
    assert ReportDownload.objects.filter(job=job).count() == expected


def test_download_is_a_pdf_with_a_chinese_name_and_is_recorded(
    client, city_official, done_jobs, caplog
):
    job = done_jobs["city"]
    client.force_login(city_official)
    caplog.set_level(logging.INFO, logger="sme_pilot.security")
    response = client.get(reverse("reports:report_download", args=[job.pk]))
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    name = f"城市试点绩效报告_呼和浩特市_{job.snapshot['as_of']}.pdf"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", job.snapshot["as_of"])
    assert disposition == f"attachment; filename*=utf-8''{quote(name)}"
    assert drain(response) == PDF
    download = ReportDownload.objects.get()
    assert (download.job, download.user) == (job, city_official)
    (logged,) = [r for r in caplog.records if getattr(r, "event", "") == "report_download"]
    assert (logged.job_id, logged.user_id) == (job.pk, city_official.pk)


def test_status_page_polls_until_done_then_offers_the_download(client, city_official, city):
    job = services.report_request(actor=city_official, kind="city", city_code="HHHT")  # queued
    client.force_login(city_official)
    page = client.get(reverse("reports:report_detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "<progress" in page
    assert reverse("reports:report_download", args=[job.pk]) not in page

    services.report_job_run(job.pk)
    fragment = client.get(
        reverse("reports:report_progress", args=[job.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "every 1s" not in fragment
    assert reverse("reports:report_download", args=[job.pk]) in fragment


def test_a_failed_job_says_so_and_can_be_retried(
    client, renderer, city_official, failed_city_job, django_capture_on_commit_callbacks
):
    job = failed_city_job
    client.force_login(city_official)
    page = client.get(reverse("reports:report_detail", args=[job.pk])).content.decode()
    assert "报告生成失败" in page and "字体缺失" in page and "重新生成" in page
    assert client.get(reverse("reports:report_download", args=[job.pk])).status_code == 404

    renderer.fail = 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:report_retry", args=[job.pk]))
    new = ReportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("reports:report_detail", args=[new.pk])
    new.refresh_from_db()
    assert new.state == ReportJobState.DONE


def test_my_reports_lists_my_jobs_only(client, city_official, ministry_user, done_jobs):
    client.force_login(city_official)
    page = client.get(reverse("reports:report_list")).content.decode()
    assert "我的报告" in page
    assert (
        reverse("reports:report_detail", args=[done_jobs["city"].pk]) not in page
    )  # ministry's request

    client.post(
        reverse("reports:report_request"), {"kind": "city", "city_code": "HHHT"}
    )  # same data
    page = client.get(reverse("reports:report_list")).content.decode()
    assert reverse("reports:report_download", args=[done_jobs["city"].pk]) in page
    assert reverse("reports:report_detail", args=[done_jobs["national"].pk]) not in page


def test_my_reports_without_reports_offers_what_the_role_may_request(
    client, enterprise_user, assessor, ministry_user, django_capture_on_commit_callbacks
):
    """An empty 我的报告 is not a dead end: each role is offered the reports it may request."""
    draft = AssessmentFactory(enterprise=enterprise_user.enterprise, complete=True)
    submitted = AssessmentFactory(enterprise=enterprise_user.enterprise, submitted=True)
    client.force_login(enterprise_user)
    page = client.get(reverse("reports:report_list")).content.decode()
    offer = page[page.index('id="report-request-assessments"') :]
    assert f'name="assessment_id" value="{submitted.pk}"' in offer
    assert f'name="assessment_id" value="{draft.pk}"' not in offer  # a draft has no report
    assert 'value="national"' not in page and 'name="city_code"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:report_request"),
            {"kind": "assessment", "assessment_id": submitted.pk},
        )
    assert response.status_code == 302

    client.force_login(assessor)  # the same city: the enterprise's assessment is in scope
    page = client.get(reverse("reports:report_list")).content.decode()
    assert f'name="assessment_id" value="{submitted.pk}"' in page
    assert 'value="national"' not in page and 'name="city_code"' not in page

    client.force_login(ministry_user)
    page = client.get(reverse("reports:report_list")).content.decode()
    assert 'value="national"' in page and 'name="city_code"' in page


def test_report_pages_show_no_snapshot_hash(client, ministry_user, done_jobs):
    """The hash is for the PDF's footer (to tell two reports apart), not for the pages."""
    client.force_login(ministry_user)
    for job in done_jobs.values():
        for url in (
            reverse("reports:report_detail", args=[job.pk]),
            reverse("reports:report_progress", args=[job.pk]),
            reverse("reports:report_list"),
        ):
            page = client.get(url).content.decode()
            assert job.snapshot_hash[:8] not in page and "数据快照" not in page, url
