"""The import pages: upload → preview (errors or counts) → confirm → done; scope; async path."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cities.models import Enterprise, ImportJob, SubIndustry
from tests.cities.import_files import enterprise_file, enterprise_record, kind_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(client, content, *, kind="enterprises", name="企业名录.csv"):
    return client.post(
        reverse("cities:import_list"), {"kind": kind, "file": SimpleUploadedFile(name, content)}
    )


@pytest.fixture
def official_client(client, city_official):
    client.force_login(city_official)
    return client


def test_full_flow_errors_then_corrected_file_then_confirm(official_client, sub_industry):
    records = [enterprise_record(n) for n in range(5)]
    records[2]["quality_tier"] = "很优秀"
    response = upload(official_client, kind_file("enterprises", records))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cities:import_detail", args=[job.pk])

    page = official_client.get(response["Location"]).content.decode()
    assert 'id="import-errors"' in page
    assert "第 4 行" in page
    assert "quality_tier" in page
    assert "无效的值“很优秀”" in page
    assert "确认导入" not in page
    assert 'name="file"' in page  # a corrected file can be uploaded from here
    assert not Enterprise.objects.exists()

    records[2]["quality_tier"] = "创新型中小企业"
    response = upload(official_client, kind_file("enterprises", records, "xlsx"), name="改正.xlsx")
    fixed = ImportJob.objects.latest("id")
    assert response["Location"] == reverse("cities:import_detail", args=[fixed.pk])
    page = official_client.get(response["Location"]).content.decode()
    assert 'id="import-counts"' in page
    assert "确认导入" in page
    assert 'id="import-errors"' not in page
    assert not Enterprise.objects.exists()  # validation writes nothing

    response = official_client.post(reverse("cities:import_confirm", args=[fixed.pk]))
    assert response.status_code == 302
    page = official_client.get(response["Location"]).content.decode()
    assert "导入完成" in page
    assert reverse("oversight:roster", args=["HHHT"]) in page
    assert Enterprise.objects.count() == 5
    assert Enterprise.objects.get(uscc=records[2]["uscc"]).quality_tier == "innovative"
    fixed.refresh_from_db()
    assert (fixed.state, fixed.created_count, fixed.finished_at is not None) == ("done", 5, True)


def test_upload_page_offers_official_kinds_but_not_cities(official_client):
    page = official_client.get(reverse("cities:import_list")).content.decode()
    assert 'name="kind"' in page
    assert 'value="enterprises"' in page
    assert 'value="cities"' not in page
    assert "上传并校验" in page


def test_official_cannot_post_the_cities_kind(official_client):
    response = upload(official_client, b"code\r\n", kind="cities")
    assert response.status_code == 200
    assert not ImportJob.objects.exists()


def test_admin_can_import_cities(client, admin_user_):
    client.force_login(admin_user_)
    content = kind_file(
        "cities",
        [
            {
                "code": "ORDOS",
                "name": "鄂尔多斯市",
                "province": "内蒙古",
                "batch_year": 2025,
                "city_type": "prefecture",
                "plan_approved_on": "2025-06-01",
            }
        ],
    )
    response = upload(client, content, kind="cities")
    job = ImportJob.objects.get()
    assert (job.state, job.city) == ("validated", None)
    client.post(reverse("cities:import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == "done"
    assert response.status_code == 302


def test_oversize_file_is_refused_before_parsing(official_client, settings, sub_industry):
    settings.IMPORT_MAX_UPLOAD_BYTES = 200
    response = upload(official_client, enterprise_file(10))
    assert response.status_code == 200
    assert "文件过大" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("报告.pdf", b"%PDF-1.5\n%\xb5\xb5\n"),
        ("旧表格.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64),
    ],
)
def test_non_csv_or_xlsx_upload_is_refused(official_client, name, content):
    response = upload(official_client, content, name=name)
    assert response.status_code == 200
    assert "不支持的文件格式：请上传 CSV（UTF-8 或 GB18030 编码）或 XLSX 文件" in (
        response.content.decode()
    )
    assert not ImportJob.objects.exists()


def test_undecodable_csv_is_reported_on_the_job_page(official_client):
    upload(official_client, b"uscc,name\r\n\x81\x20\xff\r\n")
    job = ImportJob.objects.get()
    assert job.state == "invalid"
    page = official_client.get(reverse("cities:import_detail", args=[job.pk])).content.decode()
    assert "无法识别文件编码" in page
    assert "整个文件" in page


def test_confirm_revalidates_against_the_current_database(official_client, sub_industry):
    upload(official_client, enterprise_file(3))
    job = ImportJob.objects.get()
    assert job.state == "validated"
    SubIndustry.objects.filter(pk=sub_industry.pk).delete()  # changed since the preview
    official_client.post(reverse("cities:import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == "invalid"
    assert job.error_count == 3
    assert not Enterprise.objects.exists()


def test_confirming_twice_imports_once(official_client, sub_industry):
    upload(official_client, enterprise_file(3))
    job = ImportJob.objects.get()
    official_client.post(reverse("cities:import_confirm", args=[job.pk]))
    response = official_client.post(reverse("cities:import_confirm", args=[job.pk]), follow=True)
    assert "不能确认导入" in response.content.decode()
    assert Enterprise.history.count() == 3


def test_confirm_needs_post(official_client, sub_industry):
    upload(official_client, enterprise_file(1))
    job = ImportJob.objects.get()
    assert official_client.get(reverse("cities:import_confirm", args=[job.pk])).status_code == 405


def test_recent_jobs_are_listed_for_their_owner_only(
    client, official_client, other_city_official, sub_industry
):
    upload(official_client, enterprise_file(1), name="我的文件.csv")
    assert "我的文件.csv" in official_client.get(reverse("cities:import_list")).content.decode()
    client.force_login(other_city_official)
    assert "我的文件.csv" not in client.get(reverse("cities:import_list")).content.decode()


@pytest.mark.parametrize(
    "view", ["cities:import_detail", "cities:import_confirm", "cities:import_progress"]
)
def test_another_officials_job_is_404(
    client, city_official, other_city_official, sub_industry, view
):
    client.force_login(city_official)
    upload(client, enterprise_file(1))
    job = ImportJob.objects.get()
    client.force_login(other_city_official)
    method = client.post if view == "cities:import_confirm" else client.get
    assert method(reverse(view, args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.state == "validated"


@pytest.mark.parametrize("persona", ["ministry_user", "enterprise_user", "assessor"])
def test_import_pages_do_not_exist_for_other_roles(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("cities:import_list")).status_code == 404
    assert upload(client, b"x").status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("cities:import_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_large_upload_runs_as_tasks_with_a_progress_bar(
    official_client, settings, sub_industry, django_capture_on_commit_callbacks
):
    settings.IMPORT_ASYNC_THRESHOLD_BYTES = 100
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(official_client, enterprise_file(30))
        job = ImportJob.objects.get()
        assert job.run_async
        assert job.state == "uploaded"  # the task starts only after the commit
        page = official_client.get(response["Location"]).content.decode()
        assert "<progress" in page
        assert f'hx-get="{reverse("cities:import_progress", args=[job.pk])}"' in page
        assert 'hx-trigger="every 1s"' in page
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert (job.state, job.created_count, job.progress_percent) == ("validated", 30, 100)

    with django_capture_on_commit_callbacks(execute=True):
        official_client.post(reverse("cities:import_confirm", args=[job.pk]))
        job.refresh_from_db()
        assert job.state == "importing"
        fragment = official_client.get(reverse("cities:import_progress", args=[job.pk]))
        assert 'hx-trigger="every 1s"' in fragment.content.decode()
    job.refresh_from_db()
    assert job.state == "done"
    assert Enterprise.objects.count() == 30

    finished = official_client.get(
        reverse("cities:import_progress", args=[job.pk]), headers={"HX-Request": "true"}
    )
    assert finished.headers.get("HX-Refresh") == "true"
