"""Permission matrix: every role (and anonymous, and a second city and enterprise) × every page and
endpoint of the registry, asserting the status code and which objects are visible.

Out of scope must look exactly like "does not exist": 404, never 403.
"""

from __future__ import annotations

import pytest

PERSONAS = [
    "anonymous",
    "enterprise_user",
    "other_enterprise_user",
    "assessor",
    "city_official",
    "other_city_official",
    "ministry_user",
    "admin_user_",
]


@pytest.fixture
def world(city, other_city, enterprise, other_enterprise):
    """Two cities (HHHT, NB), one enterprise in each."""
    return {
        "city": city,
        "other_city": other_city,
        "ent": enterprise,
        "other_ent": other_enterprise,
    }


def _client(client, request, persona):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    return client


# --- pages -------------------------------------------------------------------------------------
# Expected status per persona; 302 for anonymous is the redirect to the login page.
# fmt: off
PAGE_MATRIX = {
    "/cities/": {
        "anonymous": 302, "enterprise_user": 404, "other_enterprise_user": 404, "assessor": 404,
        "city_official": 404, "other_city_official": 404, "ministry_user": 200, "admin_user_": 200,
    },
    "/cities/HHHT/": {
        "anonymous": 302, "enterprise_user": 404, "other_enterprise_user": 404, "assessor": 200,
        "city_official": 200, "other_city_official": 404, "ministry_user": 200, "admin_user_": 200,
    },
    "/cities/HHHT/enterprises/": {
        "anonymous": 302, "enterprise_user": 404, "other_enterprise_user": 404, "assessor": 200,
        "city_official": 200, "other_city_official": 404, "ministry_user": 200, "admin_user_": 200,
    },
    "/cities/NOPE/enterprises/": {
        "anonymous": 302, "enterprise_user": 404, "other_enterprise_user": 404, "assessor": 404,
        "city_official": 404, "other_city_official": 404, "ministry_user": 404, "admin_user_": 404,
    },
    "/enterprises/{ent}/": {
        "anonymous": 302, "enterprise_user": 302, "other_enterprise_user": 404, "assessor": 200,
        "city_official": 200, "other_city_official": 404, "ministry_user": 200, "admin_user_": 200,
    },
    "/my/": {
        "anonymous": 302, "enterprise_user": 200, "other_enterprise_user": 200, "assessor": 404,
        "city_official": 404, "other_city_official": 404, "ministry_user": 404, "admin_user_": 404,
    },
}
# fmt: on


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("path", list(PAGE_MATRIX))
def test_page_status_by_role(client, request, world, persona, path):
    url = path.format(ent=world["ent"].uscc)
    response = _client(client, request, persona).get(url)
    assert response.status_code == PAGE_MATRIX[path][persona], (persona, url)
    if persona == "anonymous":
        assert response["Location"].startswith("/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_roster_page_lists_only_the_city_in_scope(client, request, world, persona):
    response = _client(client, request, persona).get("/cities/HHHT/enterprises/")
    if response.status_code != 200:
        return  # covered by the status matrix
    body = response.content.decode()
    assert world["ent"].uscc in body
    assert world["other_ent"].uscc not in body


@pytest.mark.django_db
def test_enterprise_user_is_sent_to_its_own_profile(client, world, enterprise_user):
    client.force_login(enterprise_user)
    response = client.get(f"/enterprises/{world['ent'].uscc}/")
    assert response["Location"] == "/my/"
    body = client.get("/my/").content.decode()
    assert world["ent"].name in body and world["other_ent"].name not in body


# --- API ---------------------------------------------------------------------------------------
# fmt: off
CITY_LIST = {
    "anonymous": None, "enterprise_user": [], "other_enterprise_user": [], "assessor": ["HHHT"],
    "city_official": ["HHHT"], "other_city_official": ["NB"], "ministry_user": ["HHHT", "NB"],
    "admin_user_": ["HHHT", "NB"],
}
ENTERPRISE_LIST = {
    "anonymous": None, "enterprise_user": ["ent"], "other_enterprise_user": ["other_ent"],
    "assessor": ["ent"], "city_official": ["ent"], "other_city_official": ["other_ent"],
    "ministry_user": ["ent", "other_ent"], "admin_user_": ["ent", "other_ent"],
}
# fmt: on


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_api_city_list_and_detail_scoped(client, request, world, persona):
    c = _client(client, request, persona)
    response = c.get("/api/v1/cities/")
    expected = CITY_LIST[persona]
    if expected is None:
        assert response.status_code == 403
        assert c.get("/api/v1/cities/HHHT/").status_code == 403
        return
    assert response.status_code == 200
    assert sorted(r["code"] for r in response.json()["results"]) == expected
    for code in ("HHHT", "NB", "NOPE"):
        status = c.get(f"/api/v1/cities/{code}/").status_code
        assert status == (200 if code in expected else 404), (persona, code)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_api_enterprise_list_and_detail_scoped(client, request, world, persona):
    c = _client(client, request, persona)
    response = c.get("/api/v1/enterprises/")
    expected = ENTERPRISE_LIST[persona]
    if expected is None:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    visible = sorted(r["uscc"] for r in response.json()["results"])
    assert visible == sorted(world[k].uscc for k in expected)
    for key in ("ent", "other_ent"):
        status = c.get(f"/api/v1/enterprises/{world[key].uscc}/").status_code
        assert status == (200 if key in expected else 404), (persona, key)


# fmt: off
PATCH_STATUS = {
    "anonymous": 403, "enterprise_user": 200, "other_enterprise_user": 404, "assessor": 403,
    "city_official": 200, "other_city_official": 404, "ministry_user": 403, "admin_user_": 200,
}
# fmt: on


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_api_enterprise_contact_patch_by_role(client, request, world, persona):
    ent = world["ent"]
    response = _client(client, request, persona).patch(
        f"/api/v1/enterprises/{ent.uscc}/",
        {"contact_phone": "0471-1234567"},
        content_type="application/json",
    )
    assert response.status_code == PATCH_STATUS[persona], (persona, response.content)
    ent.refresh_from_db()
    assert (ent.contact_phone == "0471-1234567") == (PATCH_STATUS[persona] == 200)


# --- imports, accounts, schema and admin ---------------------------------------------------------


@pytest.fixture
def more_world(world, city_official, enterprise_user):
    """An import job of HHHT (by its official) and an HHHT enterprise account to manage."""
    from django.core.files.base import ContentFile

    from cities.models import ImportJob

    job = ImportJob(
        kind="enterprises",
        original_filename="名录.csv",
        requested_by=city_official,
        city=world["city"],
        state="invalid",
    )
    job.file.save("perm-matrix.csv", ContentFile(b"uscc\n"), save=False)
    job.save()
    yield {**world, "job": job, "account": enterprise_user}
    job.file.delete(save=False)


# fmt: off
MORE_MATRIX = {
    "/imports/": {
        "anonymous": 302, "enterprise_user": 404, "other_enterprise_user": 404, "assessor": 404,
        "city_official": 200, "other_city_official": 200, "ministry_user": 404, "admin_user_": 200,
    },
    "/imports/{job}/": {
        "anonymous": 302, "enterprise_user": 404, "other_enterprise_user": 404, "assessor": 404,
        "city_official": 200, "other_city_official": 404, "ministry_user": 404, "admin_user_": 200,
    },
    "/imports/{job}/progress/": {
        "anonymous": 302, "enterprise_user": 404, "other_enterprise_user": 404, "assessor": 404,
        "city_official": 200, "other_city_official": 404, "ministry_user": 404, "admin_user_": 200,
    },
    "/accounts/": {
        "anonymous": 302, "enterprise_user": 404, "other_enterprise_user": 404, "assessor": 404,
        "city_official": 200, "other_city_official": 200, "ministry_user": 404, "admin_user_": 404,
    },
    "/accounts/new/": {
        "anonymous": 302, "enterprise_user": 404, "other_enterprise_user": 404, "assessor": 404,
        "city_official": 200, "other_city_official": 200, "ministry_user": 404, "admin_user_": 404,
    },
    "/accounts/{account}/reset-password/": {
        "anonymous": 302, "enterprise_user": 404, "other_enterprise_user": 404, "assessor": 404,
        "city_official": 200, "other_city_official": 404, "ministry_user": 404, "admin_user_": 404,
    },
    "/accounts/{account}/deactivate/": {
        "anonymous": 302, "enterprise_user": 404, "other_enterprise_user": 404, "assessor": 404,
        "city_official": 200, "other_city_official": 404, "ministry_user": 404, "admin_user_": 404,
    },
    "/api/v1/imports/": {
        "anonymous": 403, "enterprise_user": 404, "other_enterprise_user": 404, "assessor": 404,
        "city_official": 200, "other_city_official": 200, "ministry_user": 404, "admin_user_": 200,
    },
    "/api/v1/imports/{job}/": {
        "anonymous": 403, "enterprise_user": 404, "other_enterprise_user": 404, "assessor": 404,
        "city_official": 200, "other_city_official": 404, "ministry_user": 404, "admin_user_": 200,
    },
    "/api/v1/schema/": {
        "anonymous": 403, "enterprise_user": 200, "other_enterprise_user": 200, "assessor": 200,
        "city_official": 200, "other_city_official": 200, "ministry_user": 200, "admin_user_": 200,
    },
    "/admin/cities/enterprise/": {
        "anonymous": 302, "enterprise_user": 302, "other_enterprise_user": 302, "assessor": 302,
        "city_official": 302, "other_city_official": 302, "ministry_user": 302, "admin_user_": 200,
    },
}
# fmt: on


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("path", list(MORE_MATRIX))
def test_import_account_schema_admin_status_by_role(client, request, more_world, persona, path):
    url = path.format(job=more_world["job"].pk, account=more_world["account"].pk)
    response = _client(client, request, persona).get(url)
    assert response.status_code == MORE_MATRIX[path][persona], (persona, url)


# (API, page) status of the import job lists: only city officials and the admin import; the
# anonymous are asked to log in (API 403, page redirect), everyone else finds nothing there.
# fmt: off
IMPORT_LISTS = {
    "anonymous": (403, 302), "enterprise_user": (404, 404), "other_enterprise_user": (404, 404),
    "assessor": (404, 404), "city_official": (200, 200), "other_city_official": (200, 200),
    "ministry_user": (404, 404), "admin_user_": (200, 200),
}
# fmt: on


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_import_job_lists_show_only_jobs_in_scope(client, request, more_world, persona):
    c = _client(client, request, persona)
    api = c.get("/api/v1/imports/")
    page = c.get("/imports/")
    assert (api.status_code, page.status_code) == IMPORT_LISTS[persona], persona
    if api.status_code != 200:
        return
    ids = [j["id"] for j in api.json()["results"]]
    sees_job = persona in ("city_official", "admin_user_")
    assert ids == ([more_world["job"].pk] if sees_job else [])
    assert (f"/imports/{more_world['job'].pk}/" in page.content.decode()) == sees_job


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_account_list_shows_only_accounts_of_the_city(
    client, request, more_world, persona, other_enterprise_user, assessor
):
    response = _client(client, request, persona).get("/accounts/")
    if response.status_code != 200:
        return  # covered by the status matrix
    listed = {u.username for u in response.context["page"]}
    expected = {"city_official": {"ent", "assessor"}, "other_city_official": {"ent2"}}
    assert listed == expected[persona]


@pytest.mark.django_db
def test_other_city_official_cannot_reset_or_deactivate(client, more_world, other_city_official):
    account = more_world["account"]
    client.force_login(other_city_official)
    for action in ("reset-password", "deactivate"):
        assert client.post(f"/accounts/{account.pk}/{action}/").status_code == 404
    account.refresh_from_db()
    assert account.is_active and account.check_password("Sme-pilot-2026!")
