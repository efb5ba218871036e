"""POST/GET /api/v1/imports/: inline import, 400 with row errors, async 202, scope."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from cities.models import Enterprise, ImportJob
from tests.cities.import_files import enterprise_file, enterprise_record, kind_file

pytestmark = pytest.mark.django_db

URL = "/api/v1/imports/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def official_api(api, city_official):
    api.force_authenticate(city_official)
    return api


def post(api, content, *, kind="enterprises", name="企业.csv", **extra):
    data = {"kind": kind, "file": SimpleUploadedFile(name, content), **extra}
    return api.post(URL, data, format="multipart")


def test_small_file_is_imported_inline(official_api, sub_industry):
    response = post(official_api, enterprise_file(4))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["state"], body["created"], body["updated"], body["unchanged"]) == ("done", 4, 0, 0)
    assert (body["kind"], body["city"], body["errors"], body["error_count"]) == (
        "enterprises",
        "HHHT",
        [],
        0,
    )
    assert body["url"].endswith(f"{URL}{body['id']}/")
    assert Enterprise.objects.count() == 4


def test_dry_run_validates_only_and_can_be_confirmed(official_api, sub_industry):
    response = post(official_api, enterprise_file(4), dry_run="true")
    assert response.status_code == 201
    body = response.json()
    assert (body["state"], body["created"]) == ("validated", 4)
    assert not Enterprise.objects.exists()
    confirmed = official_api.post(f"{URL}{body['id']}/confirm/")
    assert confirmed.status_code == 200
    assert confirmed.json()["state"] == "done"
    assert Enterprise.objects.count() == 4
    again = official_api.post(f"{URL}{body['id']}/confirm/")
    assert again.status_code == 409


def test_invalid_file_answers_400_with_row_errors_and_writes_nothing(official_api, sub_industry):
    records = [enterprise_record(n) for n in range(3)]
    records[1]["uscc"] = "9144030071526726XO"
    response = post(official_api, kind_file("enterprises", records))
    assert response.status_code == 400
    body = response.json()
    assert body["error_count"] == 1
    assert body["errors"] == [
        {
            "row": 3,
            "column": "uscc",
            "message": "统一社会信用代码不能包含字母 O（不使用 I、O、S、V、Z）",
        }
    ]
    assert body["job"]["state"] == "invalid"
    assert not Enterprise.objects.exists()


def test_oversize_and_unsupported_files_answer_400_without_a_job(official_api, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 10
    response = post(official_api, b"uscc,name\r\n" * 5)
    assert response.status_code == 400
    assert "文件过大" in response.json()["errors"][0]["message"]
    settings.IMPORT_MAX_UPLOAD_BYTES = 10_000
    response = post(official_api, b"%PDF-1.4\n")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("不支持的文件格式")
    assert not ImportJob.objects.exists()


def test_missing_fields_answer_400_in_the_documented_shape(official_api):
    response = official_api.post(URL, {"kind": "enterprises"}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert (body["error_count"], body["job"]) == (1, None)
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(None, "file")]
    response = official_api.post(URL, {}, format="multipart")
    assert {e["column"] for e in response.json()["errors"]} == {"kind", "file"}


@pytest.mark.parametrize("pk", ["null,null", "AAA", "0.5", "²", str(2**63)])
def test_a_non_id_in_the_url_is_404_not_500(official_api, pk):
    for response in (official_api.get(f"{URL}{pk}/"), official_api.post(f"{URL}{pk}/confirm/")):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"


def test_admin_job_has_no_city_and_the_schema_allows_that(api, admin_user_, sub_industry):
    api.force_authenticate(admin_user_)
    response = post(api, enterprise_file(1))
    assert response.status_code == 201 and response.json()["city"] is None
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["components"]["schemas"]["ImportJob"]["properties"]["city"]["nullable"]


def test_official_may_not_import_cities(official_api):
    response = post(official_api, b"code\r\n", kind="cities")
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_large_file_answers_202_and_is_done_after_commit(
    official_api, settings, sub_industry, django_capture_on_commit_callbacks
):
    settings.IMPORT_ASYNC_THRESHOLD_BYTES = 100
    with django_capture_on_commit_callbacks(execute=True):
        response = post(official_api, enterprise_file(25))
        assert response.status_code == 202
        body = response.json()
        assert body["state"] == "uploaded"
        assert response["Location"] == body["url"]
    polled = official_api.get(body["url"]).json()
    assert (polled["state"], polled["created"], polled["progress_percent"]) == ("done", 25, 100)
    assert Enterprise.objects.count() == 25


def test_list_shows_own_jobs_only(api, city_official, other_city_official, sub_industry):
    api.force_authenticate(city_official)
    post(api, enterprise_file(1))
    post(api, enterprise_file(2), dry_run="true")
    mine = api.get(URL).json()
    assert mine["count"] == 2
    assert [job["total_rows"] for job in mine["results"]] == [2, 1]  # newest first
    api.force_authenticate(other_city_official)
    assert api.get(URL).json()["count"] == 0


def test_another_officials_job_is_404(api, city_official, other_city_official, sub_industry):
    api.force_authenticate(city_official)
    job_id = post(api, enterprise_file(1), dry_run="true").json()["id"]
    api.force_authenticate(other_city_official)
    assert api.get(f"{URL}{job_id}/").status_code == 404
    assert api.post(f"{URL}{job_id}/confirm/").status_code == 404
    assert not Enterprise.objects.exists()


def test_admin_sees_every_job(api, city_official, admin_user_, sub_industry):
    api.force_authenticate(city_official)
    job_id = post(api, enterprise_file(1)).json()["id"]
    api.force_authenticate(admin_user_)
    assert api.get(f"{URL}{job_id}/").status_code == 200


@pytest.mark.parametrize("persona", ["ministry_user", "enterprise_user", "assessor"])
def test_other_roles_get_404(api, request, persona, sub_industry):
    api.force_authenticate(request.getfixturevalue(persona))
    assert api.get(URL).status_code == 404
    assert post(api, enterprise_file(1)).status_code == 404
    assert not ImportJob.objects.exists()


def test_anonymous_gets_403(api):
    assert api.get(URL).status_code == 403
    assert post(api, b"x").status_code == 403


def test_schema_documents_the_404_for_roles_that_cannot_import():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for method, path in (("get", URL), ("post", URL), ("get", f"{URL}{{id}}/")):
        assert "404" in schema["paths"][path][method]["responses"], (method, path)
    assert "429" in schema["paths"][URL]["post"]["responses"]  # the hourly upload limit


def test_schema_documents_the_import_endpoints(admin_user_, client):
    client.force_login(admin_user_)
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema = response.content.decode()
    assert "/api/v1/imports/{id}/confirm/" in schema
    assert "multipart/form-data" in schema
