"""The OpenAPI schema renders without warnings and Swagger UI is served from our own files."""

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_openapi_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")
    text = out.read_text(encoding="utf-8")
    for path in (
        "/api/v1/cities/",
        "/api/v1/enterprises/{uscc}/",
        "/api/v1/imports/",
        "/api/v1/reports/",
        "/api/v1/reports/{id}/",
        "/api/v1/reports/{id}/download/",
    ):
        assert path in text


def test_schema_endpoint_requires_login(client, ministry_user):
    assert client.get("/api/v1/schema/").status_code == 403
    client.force_login(ministry_user)
    assert client.get("/api/v1/schema/").status_code == 200


def test_swagger_ui_uses_no_cdn(client, ministry_user):
    client.force_login(ministry_user)
    body = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in body
    assert "cdn.jsdelivr" not in body and "unpkg.com" not in body
    assert "/static/drf_spectacular_sidecar/" in body


def test_every_operation_has_a_chinese_summary_and_description():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    chinese = re.compile(r"[\u4e00-\u9fff]")
    lacking = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if not (
            chinese.search(operation.get("summary", ""))
            and chinese.search(operation.get("description", ""))
        )
    ]
    assert lacking == []
