"""Project API: the scoped list and detail, and the documents (multipart upload, download,
delete), through the same services as the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.models import Project, ProjectDocument
from tests.assessments.evidence_files import PDF
from tests.projects.document_files import docx

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 1)


@pytest.fixture
def private_root(settings, tmp_path):
    root = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT = root
    return root


@pytest.fixture
def project(enterprise):
    return Project.objects.create(
        enterprise=enterprise, applied_on=DAY, admitted_on=DAY, diagnosed_on=DAY
    )


def test_list_is_scoped_and_filtered(client, project, other_enterprise, city_official):
    Project.objects.create(enterprise=other_enterprise, applied_on=DAY)
    client.force_login(city_official)
    body = client.get("/api/v1/projects/").json()
    assert [p["id"] for p in body["results"]] == [project.pk]
    assert body["results"][0]["stage"] == "diagnosed"
    assert client.get("/api/v1/projects/?stage=applied").json()["results"] == []
    # The funnel's filters: reached as of a date, and the enterprise's district.
    found = client.get("/api/v1/projects/?reached=diagnosed&as_of=2025-03-01&district=none")
    assert [p["id"] for p in found.json()["results"]] == [project.pk]
    assert (
        client.get("/api/v1/projects/?reached=diagnosed&as_of=2025-02-28").json()["results"] == []
    )


def test_detail_lists_missing_documents(client, project, enterprise_user):
    client.force_login(enterprise_user)
    body = client.get(f"/api/v1/projects/{project.pk}/").json()
    assert body["missing_documents"] == [
        {"stage": "diagnosed", "doc_type": "diagnosis_report", "doc_type_label": "诊断报告"}
    ]
    assert client.get("/api/v1/projects/abc/").status_code == 404


def test_upload_download_delete(
    client, private_root, project, enterprise_user, other_enterprise_user
):
    client.force_login(enterprise_user)
    url = f"/api/v1/projects/{project.pk}/documents/"
    content = docx()
    response = client.post(
        url,
        {
            "stage": "diagnosed",
            "doc_type": "diagnosis_report",
            "file": SimpleUploadedFile("诊断.docx", content),
        },
    )
    assert response.status_code == 201, response.content
    row = response.json()
    assert row["content_type"].endswith("wordprocessingml.document")
    download = client.get(row["download_url"])
    assert b"".join(download.streaming_content) == content
    assert client.get(f"/api/v1/projects/{project.pk}/").json()["missing_documents"] == []
    client.force_login(other_enterprise_user)
    assert client.get(row["download_url"]).status_code == 404
    assert client.get(url).status_code == 404
    client.force_login(enterprise_user)
    assert client.delete(f"{url}{row['id']}/").status_code == 204
    assert not ProjectDocument.objects.exists()


def test_a_bad_upload_is_a_400_with_nothing_stored(client, private_root, project, enterprise_user):
    client.force_login(enterprise_user)
    response = client.post(
        f"/api/v1/projects/{project.pk}/documents/",
        {
            "stage": "admitted",
            "doc_type": "other",
            "file": SimpleUploadedFile("a.pdf", b"not a pdf"),
        },
    )
    assert response.status_code == 400
    assert "只能上传 PDF" in response.content.decode()
    assert not ProjectDocument.objects.exists()
    assert not private_root.exists() or not any(p.is_file() for p in private_root.rglob("*"))
    response = client.post(
        f"/api/v1/projects/{project.pk}/documents/",
        {"stage": "accepted", "doc_type": "other", "file": SimpleUploadedFile("a.pdf", PDF)},
    )
    assert response.status_code == 400 and "尚未到达" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("stage=nonsense", "stage"),
        ("sub_industry=null", "sub_industry"),
        ("overdue=yes", "overdue"),
        ("reached=nonsense", "reached"),
        ("outcome=lost", "outcome"),
        ("as_of=2026-02-30", "as_of"),
        ("as_of=", "as_of"),
        ("as_of=2000-01-01", "as_of"),
        ("as_of=2999-01-01", "as_of"),
        ("district=nowhere", "district"),
        ("city=-1", "city"),
    ],
)
def test_list_filters_the_schema_does_not_allow_are_a_400(client, city_official, query, field):
    client.force_login(city_official)
    response = client.get(f"/api/v1/projects/?{query}")
    assert response.status_code == 400
    assert field in response.json()
