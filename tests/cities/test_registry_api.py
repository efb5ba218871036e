"""/api/v1/cities/ and /api/v1/enterprises/: answers the fuzz test (tests/test_api_fuzz.py) found
undocumented or wrong, kept here as plain regression tests."""

from __future__ import annotations

import base64

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.cities.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

CITIES = "/api/v1/cities/"
ENTERPRISES = "/api/v1/enterprises/"


@pytest.fixture(scope="module")
def openapi():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_documents_its_error_answers(openapi):
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert "403" in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if operation.get("requestBody") or any(
                p["in"] == "query" for p in operation.get("parameters", [])
            ):
                assert "400" in codes, (method, path)


def test_blank_contact_email_is_valid_in_the_schema(client, ministry_user, enterprise, openapi):
    client.force_login(ministry_user)
    assert client.get(f"{ENTERPRISES}{enterprise.uscc}/").json()["contact_email"] == ""
    field = openapi["components"]["schemas"]["Enterprise"]["properties"]["contact_email"]
    assert {"type": "string", "maxLength": 0} in field["oneOf"]


@pytest.mark.parametrize(
    "url",
    [
        f"{CITIES}?batch=2024.5",
        f"{ENTERPRISES}?above_scale=maybe",
        f"{ENTERPRISES}?above_scale=null",
        f"{ENTERPRISES}?page_size=abc",
        f"{ENTERPRISES}?page_size=0",
        f"{CITIES}?page_size=-1",
    ],
)
def test_unreadable_filter_and_page_size_are_400_not_ignored(client, ministry_user, url):
    client.force_login(ministry_user)
    response = client.get(url)
    assert response.status_code == 400, response.content


def test_boolean_filter_still_reads_true_and_false(client, ministry_user, sub_industry):
    EnterpriseFactory(sub_industry=sub_industry, above_scale=True)
    EnterpriseFactory(sub_industry=sub_industry, above_scale=False)
    client.force_login(ministry_user)
    for text, expected in (("true", [True]), ("False", [False]), ("1", [True]), ("", None)):
        rows = client.get(ENTERPRISES, {"above_scale": text}).json()["results"]
        flags = sorted({row["above_scale"] for row in rows})
        assert flags == (expected or [False, True]), text


def test_page_size_above_the_maximum_gives_the_maximum(client, ministry_user, openapi):
    client.force_login(ministry_user)
    assert client.get(ENTERPRISES, {"page_size": 100_000}).status_code == 200
    parameters = openapi["paths"][ENTERPRISES]["get"]["parameters"]
    page_size = next(p for p in parameters if p["name"] == "page_size")
    assert page_size["schema"] == {"type": "integer", "minimum": 1}


@pytest.mark.parametrize("url", [f"{CITIES}0.5/", f"{ENTERPRISES}A.B/", f"{CITIES}X.json/"])
def test_lookup_with_a_dot_is_a_json_404(client, ministry_user, url):
    client.force_login(ministry_user)
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_enterprise_patch_refuses_unknown_fields_as_documented(
    client, admin_user_, enterprise, openapi
):
    client.force_login(admin_user_)
    response = client.patch(
        f"{ENTERPRISES}{enterprise.uscc}/", {"colour": "blue"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json() == {"colour": ["未知字段"]}
    body = openapi["components"]["schemas"]["PatchedEnterpriseUpdateRequest"]
    assert body["additionalProperties"] is False


def test_wrong_basic_password_is_403_not_a_500(client, ministry_user):
    # The login_failed handler read request.user on DRF's Request mid-authentication: recursion.
    token = base64.b64encode(f"{ministry_user.username}:wrong".encode()).decode()
    response = client.get(CITIES, HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == 403
    token = base64.b64encode(f"{ministry_user.username}:Sme-pilot-2026!".encode()).decode()
    assert client.get(CITIES, HTTP_AUTHORIZATION=f"Basic {token}").status_code == 200


@pytest.mark.parametrize("page", ["", "abc", "0", "99"])
def test_an_empty_or_unreadable_page_is_404_not_page_one(client, ministry_user, city, page):
    client.force_login(ministry_user)
    response = client.get(f"{CITIES}?page={page}")
    assert response.status_code == 404, response.content
    assert client.get(f"{CITIES}?page=1").json()["results"]
    assert client.get(f"{CITIES}?page=last").status_code == 200
