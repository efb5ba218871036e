"""The report API /api/v1/reports/: request (201 new, 200 reused, 400, 404, 429), status,
download and 我的报告, scoped like the report pages (renders run inline, fake renderer)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.urls import reverse
from django.utils import timezone

from reports import services
from reports.api.serializers import SUBJECTS
from reports.models import ReportDownload, ReportJob, ReportKind
from tests.assessments.factories import AssessmentFactory
from tests.conftest import drain
from tests.reports.fakes import FAKE_PDF

pytestmark = pytest.mark.django_db

LIST = "/api/v1/reports/"


def status_url(job: ReportJob) -> str:
    return reverse("report-job-detail", args=[job.pk])


def download_url(job: ReportJob) -> str:
    return reverse("report-job-download", args=[job.pk])


@pytest.fixture(autouse=True)
def _fake_renderer(renderer):
    return renderer


@pytest.fixture
def assessment(enterprise):
    return AssessmentFactory(enterprise=enterprise, submitted=True)


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST a report request as `user`; the job, if any, is rendered when the request commits."""

    def send(user, **data):
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(LIST, data, content_type="application/json")

    return send


def day(n: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=n)).isoformat()


# Who may request, follow and download each kind (the city, and the assessment's enterprise, are
# 呼和浩特's; the province official's province is 呼和浩特's).
SCOPE = {
    "ministry_user": {"city", "national", "assessment"},
    "admin_user_": {"city", "national", "assessment"},
    "city_official": {"city", "assessment"},
    "province_official": {"city", "assessment"},
    "enterprise_user": {"assessment"},
    "other_city_official": set(),
    "other_enterprise_user": set(),
    "provider_user": set(),
}


def subject(kind: str, assessment) -> dict:
    return {
        "city": {"kind": "city", "city_code": "HHHT"},
        "national": {"kind": "national"},
        "assessment": {"kind": "assessment", "assessment_id": assessment.pk},
    }[kind]


@pytest.mark.parametrize("role", sorted(SCOPE))
def test_each_role_requests_follows_and_downloads_only_within_its_scope(
    request, client, post, assessment, ministry_user, role
):
    user = request.getfixturevalue(role)
    for kind in ("city", "national", "assessment"):
        response = post(user, **subject(kind, assessment))
        job = ReportJob.objects.filter(kind=kind).first()
        if kind not in SCOPE[role]:
            assert response.status_code == 404, kind
            assert job is None, kind
            continue
        assert response.status_code == 201, (kind, response.content)
        body = response.json()
        assert body["id"] == job.pk and body["kind"] == kind
        assert (body["state"], body["links"]["download"]) == ("queued", None)
        assert response["Location"] == body["links"]["status"]
        status = client.get(body["links"]["status"]).json()  # rendered once the request committed
        assert (status["state"], status["progress"]) == ("done", 100)
        assert drain(client.get(status["links"]["download"])) == FAKE_PDF

    # Jobs another user asked for (queued: of another day's data): the same scope.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    jobs = {
        kind: services.report_request(
            actor=ministry_user, **subject(kind, assessment), as_of=yesterday
        )
        for kind in ("city", "national", "assessment")
    }
    client.force_login(user)
    for kind, job in jobs.items():
        expected = 200 if kind in SCOPE[role] else 404
        assert client.get(status_url(job)).status_code == expected, kind
        assert client.get(download_url(job)).status_code == (409 if expected == 200 else 404)


def test_a_request_reusing_a_report_of_the_same_data_is_200_and_joins_my_reports(
    client, post, city_official, ministry_user, city
):
    first = post(city_official, kind="city", city_code="HHHT")
    assert first.status_code == 201
    again = post(city_official, kind="city", city_code="HHHT")
    assert again.status_code == 200 and "Location" not in again
    assert again.json()["id"] == first.json()["id"]

    by_other = post(ministry_user, kind="city", city_code="HHHT")
    assert (by_other.status_code, by_other.json()["id"]) == (200, first.json()["id"])
    assert [j["id"] for j in client.get(LIST).json()["results"]] == [first.json()["id"]]

    earlier = post(ministry_user, kind="city", city_code="HHHT", as_of=day(1))
    assert earlier.status_code == 201 and earlier.json()["as_of"] == day(1)
    assert ReportJob.objects.count() == 2


def test_over_the_hourly_limit_a_new_report_is_429_with_retry_after_and_nothing_written(
    post, settings, city_official, city, assessment
):
    settings.REPORTS_REQUESTS_PER_HOUR = 1
    assert post(city_official, kind="city", city_code="HHHT").status_code == 201

    response = post(city_official, kind="city", city_code="HHHT", as_of=day(1))
    assert response.status_code == 429
    assert 59 * 60 < int(response["Retry-After"]) <= 60 * 60
    assert response.json()["detail"] == (
        "报告请求过于频繁：每小时最多申请生成 1 份新报告，请 60 分钟后再试。"
        "数据未变化的报告可直接在“我的报告”中下载。"
    )
    assert ReportJob.objects.count() == 1
    # The report that exists is still answered, free; a subject out of scope is still a 404.
    assert post(city_official, kind="city", city_code="HHHT").status_code == 200
    assert post(city_official, kind="city", city_code="NB").status_code == 404
    assert ReportJob.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "kind", "该字段是必填项。"),
        ({"kind": "archive"}, "kind", "“archive” 不是合法选项。"),
        ({"kind": "dossier"}, "enterprise_id", "企业一企一档须指定企业编号"),
        ({"kind": "dossier", "enterprise_id": 1, "city_code": "HHHT"}, "city_code", "不使用此参数"),
        ({"kind": "city"}, "city_code", "城市试点绩效报告须指定试点城市代码"),
        ({"kind": "city", "city_code": ""}, "city_code", "该字段不能为空。"),
        ({"kind": "assessment"}, "assessment_id", "企业数字化水平评测报告须指定评测编号"),
        ({"kind": "assessment", "assessment_id": "1x"}, "assessment_id", "请填写合法的整数值。"),
        ({"kind": "assessment", "assessment_id": 0}, "assessment_id", "请确保该值大于或者等于 1。"),
        ({"kind": "national", "city_code": "HHHT"}, "city_code", "全国试点汇总报告不使用此参数"),
        ({"kind": "national", "as_of": "2026/01/01"}, "as_of", "as_of 应为 YYYY-MM-DD 格式"),
        ({"kind": "national", "as_of": "2022-12-31"}, "as_of", "as_of 不能早于 2023-01-01"),
        ({"kind": "national", "as_of": "2999-01-01"}, "as_of", "as_of 不能晚于今天"),
        ({"kind": "national", "state": "done"}, "state", "未知字段"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(
    post, ministry_user, data, field, message
):
    response = post(ministry_user, **data)
    assert response.status_code == 400
    errors = response.json()
    assert message in " ".join(errors[field]), errors
    assert not ReportJob.objects.exists()


def test_an_empty_or_null_as_of_is_today_as_on_the_page(post, ministry_user):
    response = post(ministry_user, kind="national", as_of="")
    assert (response.status_code, response.json()["as_of"]) == (
        201,
        timezone.localdate().isoformat(),
    )
    assert post(ministry_user, kind="national", as_of=None).status_code == 200


def test_status_reports_progress_and_offers_the_download_once_done(
    client, renderer, city_official, city
):
    job = services.report_request(actor=city_official, kind="city", city_code="HHHT")  # queued
    client.force_login(city_official)
    body = client.get(status_url(job)).json()
    assert (body["state"], body["progress"], body["links"]["download"]) == ("queued", 0, None)
    assert body["subject"] == "呼和浩特市" and body["city_code"] == "HHHT"
    conflict = client.get(download_url(job))
    assert conflict.status_code == 409
    assert conflict.json()["detail"] == "报告尚未生成（排队中，0%），请在状态为“已完成”后再下载。"

    services.report_job_run(job.pk)
    body = client.get(status_url(job)).json()
    assert (body["state"], body["progress"]) == ("done", 100)
    assert body["links"]["download"].endswith(download_url(job))
    assert not ReportDownload.objects.exists()


def test_a_failed_job_says_why_and_has_nothing_to_download(client, city_official, failed_city_job):
    job = failed_city_job
    client.force_login(city_official)
    body = client.get(status_url(job)).json()
    assert body["state"] == "failed" and "字体缺失" in body["error_message"]
    response = client.get(download_url(job))
    assert response.status_code == 409 and "报告生成失败" in response.json()["detail"]
    # The page keeps its answer for a report with no file: 404.
    assert client.get(reverse("reports:report_download", args=[job.pk])).status_code == 404


def test_download_is_the_stored_file_with_the_pages_name_and_is_recorded(
    client, post, city_official, city, caplog
):
    job_id = post(city_official, kind="city", city_code="HHHT").json()["id"]
    job = ReportJob.objects.get(pk=job_id)
    with job.file.open("rb") as stored:
        content = stored.read()
    caplog.set_level(logging.INFO, logger="sme_pilot.security")

    response = client.get(download_url(job))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert drain(response) == content
    page = client.get(reverse("reports:report_download", args=[job.pk]))
    drain(page)
    assert response["Content-Disposition"] == page["Content-Disposition"]
    assert "attachment;" in response["Content-Disposition"]
    downloads = ReportDownload.objects.filter(job=job, user=city_official)
    assert downloads.count() == 2  # the API's and the page's
    logged = [r for r in caplog.records if getattr(r, "event", "") == "report_download"]
    assert [(r.job_id, r.user_id) for r in logged] == [(job.pk, city_official.pk)] * 2

    job.file.delete(save=False)  # a done job whose file is gone: 404, not recorded
    response = client.get(download_url(job))
    assert (response.status_code, response.json()) == (404, {"detail": "报告文件不存在"})
    assert downloads.count() == 2


def test_my_reports_are_mine_newest_first_and_paged(
    client, post, city_official, ministry_user, city, django_assert_num_queries
):
    mine = [
        post(city_official, kind="city", city_code="HHHT", as_of=day(n)).json()["id"]
        for n in range(3)
    ]
    post(ministry_user, kind="national")  # not requested by the official
    client.force_login(city_official)
    first = client.get(LIST, {"page_size": 2}).json()
    assert [j["id"] for j in first["results"]] == mine[::-1][:2]
    rest = client.get(first["next"]).json()
    assert [j["id"] for j in rest["results"]] == mine[::-1][2:] and rest["next"] is None

    # Session, user, the page of jobs (subjects joined): as many queries for twice the jobs.
    with django_assert_num_queries(3):
        assert len(client.get(LIST).json()["results"]) == 3
    for n in range(3, 6):
        post(city_official, kind="city", city_code="HHHT", as_of=day(n))
    client.force_login(city_official)
    with django_assert_num_queries(3):
        assert len(client.get(LIST).json()["results"]) == 6


def test_a_job_id_that_is_no_number_or_out_of_scope_is_a_json_404(
    client, other_city_official, city_official, city
):
    job = services.report_request(actor=city_official, kind="city", city_code="HHHT")
    client.force_login(other_city_official)
    for pk in (str(job.pk), "abc", "9" * 30):
        response = client.get(f"{LIST}{pk}/")
        assert response.status_code == 404
        assert response.json() == {"detail": "没有找到该报告"}


def test_a_provider_finds_no_report_api(client, provider_user, ministry_user):
    job = services.report_request(actor=ministry_user, kind="national")
    client.force_login(provider_user)
    for response in (
        client.get(LIST),
        client.post(LIST, {"kind": "national"}, content_type="application/json"),
        client.get(status_url(job)),
        client.get(download_url(job)),
    ):
        assert response.status_code == 404
    assert ReportJob.objects.count() == 1


def test_every_kind_of_report_names_its_subject_parameter():
    """A new kind (the dossier's) must say here which parameter names its subject."""
    assert set(SUBJECTS) == set(ReportKind.values)
