"""The assessment API: permission matrix (every persona × every endpoint and action), field-level
rules, autosave conflicts, the scoring preview and bounded list queries.

Out of scope is 404 (as if it did not exist); in scope but not allowed to act is 403.
"""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Role
from assessments import selectors
from assessments.models import Assessment, Method, Purpose, State
from tests.assessments.factories import (
    EXAMPLE_RESULT,
    AssessmentFactory,
    complete_answers,
    example_document,
)
from tests.cities.factories import EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/assessments/"
PREVIEW = "/api/v1/scoring/preview/"

PERSONAS = [
    "anonymous",
    "enterprise_user",
    "other_enterprise_user",
    "assessor",
    "other_assessor",
    "city_official",
    "other_city_official",
    "ministry_user",
    "admin_user_",
]


@pytest.fixture
def other_assessor(other_city):
    return UserFactory(username="assessor2", role=Role.ASSESSOR, city=other_city)


def _client(client, request, persona):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    return client


def _complete() -> dict[str, Any]:
    answers, scenes, data = complete_answers()
    return {"answers": answers, "scenes": scenes, "data": data}


@pytest.fixture
def world(enterprise, other_enterprise, assessor):
    """HHHT's enterprise: a complete self draft, a submitted self-assessment, a complete on-site
    draft and a confirmed on-site assessment. NB's enterprise: a submitted one and a draft."""
    return {
        "ent": enterprise,
        "other_ent": other_enterprise,
        "ent_draft": AssessmentFactory(enterprise=enterprise, complete=True),
        "ent_submitted": AssessmentFactory(enterprise=enterprise, submitted=True),
        "ent_onsite": AssessmentFactory(
            enterprise=enterprise, method=Method.ONSITE, purpose=Purpose.BASELINE, complete=True
        ),
        "ent_confirmed": AssessmentFactory(
            enterprise=enterprise, confirmed=True, confirmed_by=assessor
        ),
        "other_submitted": AssessmentFactory(enterprise=other_enterprise, submitted=True),
        "other_draft": AssessmentFactory(enterprise=other_enterprise),
    }


# --- visibility ----------------------------------------------------------------------------------

HHHT_SHARED = ["ent_submitted", "ent_onsite", "ent_confirmed"]
# fmt: off
VISIBLE = {
    "anonymous": None,
    "enterprise_user": ["ent_draft", *HHHT_SHARED],
    "other_enterprise_user": ["other_submitted", "other_draft"],
    "assessor": HHHT_SHARED,
    "other_assessor": ["other_submitted"],
    "city_official": HHHT_SHARED,
    "other_city_official": ["other_submitted"],
    "ministry_user": [*HHHT_SHARED, "other_submitted"],
    "admin_user_": ["ent_draft", *HHHT_SHARED, "other_submitted", "other_draft"],
}
# fmt: on
ALL_KEYS = VISIBLE["admin_user_"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_and_detail_are_scoped_by_role(client, request, world, persona):
    c = _client(client, request, persona)
    response = c.get(API)
    expected = VISIBLE[persona]
    if expected is None:
        assert response.status_code == 403
        assert c.get(f"{API}{world['ent_submitted'].pk}/").status_code == 403
        return
    assert response.status_code == 200
    assert sorted(r["id"] for r in response.json()["results"]) == sorted(
        world[k].pk for k in expected
    )
    for key in ALL_KEYS:
        status = c.get(f"{API}{world[key].pk}/").status_code
        assert status == (200 if key in expected else 404), (persona, key)
    assert c.get(f"{API}999999/").status_code == 404
    assert c.get(f"{API}abc/").status_code == 404
    assert c.get(f"{API}{10**30}/").status_code == 404


# --- actions -------------------------------------------------------------------------------------
NOT_OURS = {"other_enterprise_user": 404, "other_assessor": 404, "other_city_official": 404}
# fmt: off
ACTIONS = {
    # An enterprise's unsubmitted self-assessment is private: only it (and the admin) sees it.
    "patch_self_draft": ("ent_draft", "patch", "", {
        "anonymous": 403, "enterprise_user": 200, "assessor": 404, "city_official": 404,
        "ministry_user": 404, "admin_user_": 403, **NOT_OURS}),
    "patch_onsite_draft": ("ent_onsite", "patch", "", {
        "anonymous": 403, "enterprise_user": 403, "assessor": 200, "city_official": 403,
        "ministry_user": 403, "admin_user_": 403, **NOT_OURS}),
    "submit": ("ent_draft", "post", "submit/", {
        "anonymous": 403, "enterprise_user": 200, "assessor": 404, "city_official": 404,
        "ministry_user": 404, "admin_user_": 403, **NOT_OURS}),
    "confirm": ("ent_onsite", "post", "confirm/", {
        "anonymous": 403, "enterprise_user": 403, "assessor": 200, "city_official": 403,
        "ministry_user": 403, "admin_user_": 403, **NOT_OURS}),
    "return": ("ent_submitted", "post", "return/", {
        "anonymous": 403, "enterprise_user": 403, "assessor": 200, "city_official": 403,
        "ministry_user": 403, "admin_user_": 403, **NOT_OURS}),
    "correct": ("ent_confirmed", "post", "correct/", {
        "anonymous": 403, "enterprise_user": 403, "assessor": 201, "city_official": 403,
        "ministry_user": 403, "admin_user_": 403, **NOT_OURS}),
}
# fmt: on
BODIES = {
    "patch_self_draft": {"answers": {"Q14": "B"}},
    "patch_onsite_draft": {"answers": {"Q14": "B"}, "evidence_notes": {"Q14": "营收报表"}},
    "submit": {"signer_name": "王经理", "signer_title": "总经理", "pledge_accepted": True},
    "confirm": {},
    "return": {"comment": "请补充 Q2 设备台账"},
    "correct": {},
}
AFTER = {
    "patch_self_draft": State.DRAFT,
    "patch_onsite_draft": State.DRAFT,
    "submit": State.SUBMITTED,
    "confirm": State.CONFIRMED,
    "return": State.RETURNED,
    "correct": State.CONFIRMED,  # the corrected one stays as it was
}


def _state(a: Assessment) -> tuple[Any, ...]:
    a = Assessment.objects.get(pk=a.pk)
    return (a.state, a.answers, a.evidence_notes, a.edit_version, a.level, a.updated_at)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", list(ACTIONS))
def test_action_status_by_role(client, request, world, persona, name):
    key, method, suffix, expected = ACTIONS[name]
    target = world[key]
    body = dict(BODIES[name])
    if method == "patch":
        body["base_version"] = target.edit_version
    before = _state(target)
    count = Assessment.objects.count()

    c = _client(client, request, persona)
    url = f"{API}{target.pk}/{suffix}"
    response = getattr(c, method)(url, body, content_type="application/json")

    assert response.status_code == expected[persona], (persona, name, response.content)
    target.refresh_from_db()
    if response.status_code >= 400:
        assert _state(target) == before
        assert Assessment.objects.count() == count
        return
    assert target.state == AFTER[name]
    data = response.json()
    if name == "correct":
        assert data["supersedes"] == target.pk and data["state"] == State.DRAFT
        assert Assessment.objects.count() == count + 1
    else:
        assert data["id"] == target.pk and data["state"] == AFTER[name]
    if name.startswith("patch"):
        assert target.answers["Q14"] == "B"
        saved = sum(len(v) for k, v in BODIES[name].items() if isinstance(v, dict))
        assert data["edit_version"] == before[3] + saved


@pytest.mark.parametrize("method", ["put", "delete"])
def test_assessments_cannot_be_replaced_or_deleted(
    client, admin_user_, enterprise_user, world, method
):
    target = world["ent_draft"]
    for user in (enterprise_user, admin_user_):
        client.force_login(user)
        response = getattr(client, method)(
            f"{API}{target.pk}/", {"answers": {}}, content_type="application/json"
        )
        assert response.status_code == 405
    assert Assessment.objects.filter(pk=target.pk).exists()


@pytest.mark.parametrize("pk", ["0.5", "²", "null,null", str(2**63)])
def test_a_non_id_in_the_url_is_a_json_404(client, admin_user_, pk):
    client.force_login(admin_user_)
    for response in (client.get(f"{API}{pk}/"), client.post(f"{API}{pk}/confirm/")):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"


@pytest.fixture(scope="module")
def openapi():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_documents_what_the_views_answer(openapi):
    paths = openapi["paths"]
    # An enterprise outside the caller's scope; an action the assessment's state does not allow.
    assert "404" in paths[API]["post"]["responses"]
    for action in ("confirm", "correct"):
        assert "400" in paths[f"{API}{{id}}/{action}/"]["post"]["responses"], action
    # PATCH is validated whole (base_version is required) and refuses unknown fields.
    patch = paths[f"{API}{{id}}/"]["patch"]
    assert patch["requestBody"]["required"] is True
    body = openapi["components"]["schemas"]["PatchedAssessmentPatchRequest"]
    assert (body["required"], body["additionalProperties"]) == (["base_version"], False)
    assert openapi["components"]["schemas"]["ReturnRequest"]["additionalProperties"] is False


# fmt: off
CREATE_STATUS = {
    "anonymous": 403, "enterprise_user": 201, "other_enterprise_user": 404, "assessor": 201,
    "other_assessor": 404, "city_official": 403, "other_city_official": 404, "ministry_user": 403,
    "admin_user_": 403,
}
# fmt: on


@pytest.mark.parametrize("persona", PERSONAS)
def test_create_status_by_role(client, request, world, persona):
    count = Assessment.objects.count()
    body = {"enterprise": world["ent"].uscc.lower(), "purpose": "baseline"}
    response = _client(client, request, persona).post(API, body, content_type="application/json")
    assert response.status_code == CREATE_STATUS[persona], (persona, response.content)
    if response.status_code != 201:
        assert Assessment.objects.count() == count
        return
    data = response.json()
    created = Assessment.objects.get(pk=data["id"])
    assert created.enterprise == world["ent"] and created.purpose == "baseline"
    assert created.state == State.DRAFT
    assert created.method == (Method.SELF if persona == "enterprise_user" else Method.ONSITE)
    assert data["method"] == created.method and data["revision"] == "2024 r1"


@pytest.mark.parametrize("persona", PERSONAS)
def test_scoring_preview_is_open_to_every_signed_in_user(client, request, persona):
    response = _client(client, request, persona).post(
        PREVIEW, example_document(), content_type="application/json"
    )
    assert response.status_code == (403 if persona == "anonymous" else 200)


def test_enterprise_user_creates_own_self_assessment_without_naming_it(client, enterprise_user):
    client.force_login(enterprise_user)
    response = client.post(API, {"purpose": "self_check"}, content_type="application/json")
    assert response.status_code == 201
    created = Assessment.objects.get(pk=response.json()["id"])
    assert created.enterprise == enterprise_user.enterprise and created.method == Method.SELF


def test_assessor_must_name_the_enterprise(client, assessor, enterprise):
    client.force_login(assessor)
    response = client.post(API, {"purpose": "post"}, content_type="application/json")
    assert response.status_code == 400 and "enterprise" in response.json()
    assert not Assessment.objects.exists()


def test_assessor_cannot_create_an_onsite_self_check(client, assessor, enterprise):
    client.force_login(assessor)
    body = {"enterprise": enterprise.uscc, "purpose": "self_check"}
    response = client.post(API, body, content_type="application/json")
    assert response.status_code == 400 and "purpose" in response.json()


# --- field-level rules ---------------------------------------------------------------------------

FORBIDDEN_ON_PATCH = {
    "level": 4,
    "total_score": "99.000",
    "foundation_score": "50.000",
    "management_score": "30.000",
    "outcomes_score": "20.000",
    "method": "onsite",
    "state": "confirmed",
    "confirmed_at": "2026-01-01T00:00:00Z",
    "confirmed_by": 1,
    "result": {"level": 4},
    "enterprise": "9144030071526726XG",
    "revision": 1,
}


@pytest.mark.parametrize("field", list(FORBIDDEN_ON_PATCH))
def test_patch_refuses_service_owned_fields_by_name(client, enterprise_user, world, field):
    draft = world["ent_draft"]
    before = _state(draft)
    client.force_login(enterprise_user)
    body = {"answers": {"Q14": "B"}, "base_version": 0, field: FORBIDDEN_ON_PATCH[field]}
    response = client.patch(f"{API}{draft.pk}/", body, content_type="application/json")
    assert response.status_code == 400
    assert "不能设置" in response.json()[field][0]
    assert _state(draft) == before  # nothing written, not even the valid answer


@pytest.mark.parametrize(
    "extra", [{"level": 4}, {"method": "onsite"}, {"state": "confirmed"}, {"total_score": "90"}]
)
def test_create_refuses_service_owned_fields(client, enterprise_user, world, extra):
    client.force_login(enterprise_user)
    count = Assessment.objects.count()
    response = client.post(API, {"purpose": "self_check", **extra}, content_type="application/json")
    assert response.status_code == 400
    (field,) = extra
    assert "不能设置" in response.json()[field][0]
    assert Assessment.objects.count() == count


def test_actions_refuse_service_owned_fields(client, enterprise_user, assessor, world):
    client.force_login(enterprise_user)
    body = {"signer_name": "王", "signer_title": "总经理", "pledge_accepted": True, "level": 4}
    response = client.post(
        f"{API}{world['ent_draft'].pk}/submit/", body, content_type="application/json"
    )
    assert response.status_code == 400 and "level" in response.json()
    client.force_login(assessor)
    response = client.post(
        f"{API}{world['ent_onsite'].pk}/confirm/",
        {"level": 4, "confirmed_by": 1},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"level", "confirmed_by"}
    assert Assessment.objects.get(pk=world["ent_draft"].pk).state == State.DRAFT
    assert Assessment.objects.get(pk=world["ent_onsite"].pk).state == State.DRAFT


def test_unknown_fields_are_refused(client, enterprise_user, world):
    client.force_login(enterprise_user)
    body = {"answers": {"Q14": "B"}, "base_version": 0, "colour": "blue"}
    response = client.patch(f"{API}{world['ent_draft'].pk}/", body, content_type="application/json")
    assert response.status_code == 400 and response.json() == {"colour": ["未知字段"]}


def test_refused_fields_are_named_alongside_other_errors(client, enterprise_user, world):
    client.force_login(enterprise_user)
    body = {"answers": "not a dict", "level": 4}
    response = client.patch(f"{API}{world['ent_draft'].pk}/", body, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"answers", "base_version", "level"}


def test_patch_needs_base_version_and_something_to_save(client, enterprise_user, world):
    client.force_login(enterprise_user)
    url = f"{API}{world['ent_draft'].pk}/"
    response = client.patch(url, {"answers": {"Q14": "B"}}, content_type="application/json")
    assert response.status_code == 400 and "base_version" in response.json()
    response = client.patch(url, {"base_version": 0}, content_type="application/json")
    assert response.status_code == 400


def test_a_code_in_the_wrong_group_is_named_not_rerouted(client, enterprise_user, world):
    draft = world["ent_draft"]
    client.force_login(enterprise_user)
    body = {"answers": {"S01": 4}, "scenes": {"Q2": "A"}, "base_version": 0}
    response = client.patch(f"{API}{draft.pk}/", body, content_type="application/json")
    assert response.status_code == 400 and set(response.json()) == {"S01", "Q2"}
    draft.refresh_from_db()
    assert (draft.scenes["S01"], draft.answers["Q2"]) == (2, "C")


def test_invalid_value_names_the_field_and_writes_nothing(client, enterprise_user):
    draft = AssessmentFactory(enterprise=enterprise_user.enterprise)
    client.force_login(enterprise_user)
    body = {"answers": {"Q1": ["B"], "Q2": "Z"}, "scenes": {"S01": 2}, "base_version": 0}
    response = client.patch(f"{API}{draft.pk}/", body, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == ["Q2"]
    draft.refresh_from_db()
    assert (draft.answers, draft.scenes, draft.edit_version) == ({}, {}, 0)


def test_patch_saves_every_group_and_reports_progress(client, assessor, enterprise):
    onsite = AssessmentFactory(enterprise=enterprise, method=Method.ONSITE, purpose=Purpose.POST)
    client.force_login(assessor)
    body = {
        "answers": {"Q1": ["B", "D"], "Q2": "A"},
        "scenes": {"S01": 2},
        "data": {"equipment_total": 120, "equipment_digital": 30},
        "evidence_notes": {"Q1": "网络拓扑图"},
        "base_version": 0,
    }
    response = client.patch(f"{API}{onsite.pk}/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["answers"] == {"Q1": ["B", "D"], "Q2": "A"}
    assert data["scenes"] == {"S01": 2}
    assert data["data"] == {"equipment_total": 120, "equipment_digital": 30}
    assert data["evidence_notes"] == {"Q1": "网络拓扑图"}
    assert data["edit_version"] == 6
    assert set(data["field_versions"]) == {
        "Q1",
        "Q2",
        "S01",
        "data:equipment_total",
        "data:equipment_digital",
        "note:Q1",
    }
    assert (data["answered"], data["total_items"]) == (3, 31)
    assert data["messages"]  # 30 of 120 contradicts band A: advice, not an error, while editing


# --- autosave conflicts over HTTP ----------------------------------------------------------------


def test_stale_patch_with_a_different_value_is_409_and_writes_nothing(client, enterprise_user):
    draft = AssessmentFactory(enterprise=enterprise_user.enterprise)
    client.force_login(enterprise_user)
    url = f"{API}{draft.pk}/"
    first = client.patch(url, {"answers": {"Q2": "C"}, "base_version": 0}, "application/json")
    assert first.status_code == 200 and first.json()["edit_version"] == 1

    # Another tab loaded the form at version 0 and changes Q1 and Q2 together.
    body = {"answers": {"Q1": ["B"], "Q2": "D"}, "base_version": 0}
    response = client.patch(url, body, content_type="application/json")

    assert response.status_code == 409
    assert response.json() == {"detail": "Q2 已在其他窗口被修改", "field": "Q2", "current": "C"}
    draft.refresh_from_db()
    assert draft.answers == {"Q2": "C"} and draft.edit_version == 1


def test_stale_patch_with_the_same_value_is_no_conflict(client, enterprise_user):
    draft = AssessmentFactory(enterprise=enterprise_user.enterprise)
    client.force_login(enterprise_user)
    url = f"{API}{draft.pk}/"
    client.patch(url, {"scenes": {"S03": 3}, "base_version": 0}, "application/json")
    response = client.patch(url, {"scenes": {"S03": 3}, "base_version": 0}, "application/json")
    assert response.status_code == 200 and response.json()["edit_version"] == 1


def test_conflict_reports_structured_current_values(client, enterprise_user):
    draft = AssessmentFactory(enterprise=enterprise_user.enterprise)
    client.force_login(enterprise_user)
    url = f"{API}{draft.pk}/"
    client.patch(url, {"answers": {"Q1": ["B", "C"]}, "base_version": 0}, "application/json")
    client.patch(url, {"scenes": {"S01": 3}, "base_version": 1}, "application/json")
    response = client.patch(url, {"answers": {"Q1": ["E"]}, "base_version": 0}, "application/json")
    assert response.status_code == 409 and response.json()["current"] == ["B", "C"]
    response = client.patch(url, {"scenes": {"S01": 1}, "base_version": 1}, "application/json")
    assert response.status_code == 409 and response.json()["current"] == 3


# --- the whole flow over HTTP, and what a detail shows -------------------------------------------


def test_self_then_onsite_flow_over_the_api(client, enterprise_user, assessor, enterprise):
    client.force_login(enterprise_user)
    created = client.post(API, {"purpose": "baseline"}, content_type="application/json").json()
    url = f"{API}{created['id']}/"
    saved = client.patch(url, {**_complete(), "base_version": 0}, content_type="application/json")
    assert saved.status_code == 200 and saved.json()["answered"] == 31

    missing = client.post(f"{url}submit/", {}, content_type="application/json")
    assert missing.status_code == 400
    assert set(missing.json()) == {"pledge", "signer_name", "signer_title"}

    body = {"signer_name": "王经理", "signer_title": "总经理", "pledge_accepted": True}
    submitted = client.post(f"{url}submit/", body, content_type="application/json")
    assert submitted.status_code == 200
    data = submitted.json()
    assert data["state"] == "submitted" and data["method"] == "self"
    assert data["level"] == 2 and data["level_name"] == "二级"
    assert data["total_score"] == "44.975"
    assert (data["foundation_score"], data["management_score"], data["outcomes_score"]) == (
        "16.850",
        "13.125",
        "15.000",
    )
    assert data["result"] == EXAMPLE_RESULT
    assert data["revision"] == "2024 r1"
    assert data["pledge"]["signer_name"] == "王经理"
    assert data["pledge"]["signer_title"] == "总经理"
    assert data["pledge"]["text_version"] == "2024-1"
    assert data["pledge"]["pledged_at"]

    client.force_login(assessor)
    returned = client.post(f"{url}return/", {"comment": ""}, content_type="application/json")
    assert returned.status_code == 400 and "comment" in returned.json()
    onsite = client.post(
        API, {"enterprise": enterprise.uscc, "purpose": "baseline"}, content_type="application/json"
    ).json()
    assert onsite["based_on"] == created["id"] and onsite["answers"] == data["answers"]
    confirmed = client.post(f"{API}{onsite['id']}/confirm/", content_type="application/json")
    assert confirmed.status_code == 200
    assert confirmed.json()["confirmed_by"] == "assessor"
    assert confirmed.json()["state"] == "confirmed"
    assert selectors.current_level_of(enterprise=enterprise) == 2

    again = client.post(f"{API}{onsite['id']}/confirm/", content_type="application/json")
    assert again.status_code == 400
    stale = client.patch(
        f"{API}{onsite['id']}/", {"answers": {"Q1": ["A"]}, "base_version": 99}, "application/json"
    )
    assert stale.status_code == 400

    client.force_login(enterprise_user)
    detail = client.get(f"{API}{onsite['id']}/").json()
    assert detail["confirmed_by"] == "assessor" and detail["result"]["level"] == 2


def test_returned_assessment_shows_the_comment(client, enterprise_user, assessor, world):
    target = world["ent_submitted"]
    client.force_login(assessor)
    client.post(f"{API}{target.pk}/return/", {"comment": "Q2 请附台账"}, "application/json")
    client.force_login(enterprise_user)
    data = client.get(f"{API}{target.pk}/").json()
    assert data["state"] == "returned"
    assert data["return_comment"] == "Q2 请附台账" and data["returned_by"] == "assessor"


# --- filters and list queries --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"state": "submitted"}, ["ent_submitted", "other_submitted"]),
        ({"method": "onsite"}, ["ent_onsite", "ent_confirmed"]),
        ({"purpose": "baseline"}, ["ent_onsite", "ent_confirmed"]),
        ({"city": "NB"}, ["other_submitted", "other_draft"]),
        ({"enterprise": "ENT"}, ["ent_draft", *HHHT_SHARED]),
        ({"city": "HHHT", "state": "confirmed"}, ["ent_confirmed"]),
    ],
)
def test_list_filters(client, admin_user_, world, query, expected):
    if query.get("enterprise") == "ENT":
        query = {"enterprise": f" {world['ent'].uscc.lower()} "}
    client.force_login(admin_user_)
    response = client.get(API, query)
    assert response.status_code == 200
    assert sorted(r["id"] for r in response.json()["results"]) == sorted(
        world[k].pk for k in expected
    )


def test_filters_never_widen_the_scope(client, city_official, world):
    client.force_login(city_official)
    assert client.get(API, {"city": "NB"}).json()["results"] == []
    other = world["other_ent"].uscc
    assert client.get(API, {"enterprise": other}).json()["results"] == []


def test_invalid_filter_value_is_400(client, ministry_user, world):
    client.force_login(ministry_user)
    assert client.get(API, {"state": "archived"}).status_code == 400


def test_list_is_newest_first_and_paginated_by_cursor(client, admin_user_, world):
    client.force_login(admin_user_)
    first = client.get(API, {"page_size": 4}).json()
    ids = [r["id"] for r in first["results"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 4
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2 and max(r["id"] for r in second["results"]) < min(ids)


def _many(n: int, sub_industry, assessor) -> None:
    for enterprise in EnterpriseFactory.create_batch(n, sub_industry=sub_industry):
        AssessmentFactory(enterprise=enterprise, submitted=True)
        AssessmentFactory(enterprise=enterprise, confirmed=True, confirmed_by=assessor)


@pytest.mark.parametrize("n", [2, 40])
def test_list_queries_do_not_grow_with_rows(
    client, ministry_user, sub_industry, assessor, django_assert_max_num_queries, n
):
    _many(n, sub_industry, assessor)
    client.force_login(ministry_user)
    with django_assert_max_num_queries(3):
        response = client.get(API, {"page_size": 500})
    assert response.status_code == 200 and len(response.json()["results"]) == 2 * n


# --- scoring preview -----------------------------------------------------------------------------


def test_scoring_preview_returns_exactly_the_domain_example(client, enterprise_user):
    client.force_login(enterprise_user)
    response = client.post(PREVIEW, example_document(), content_type="application/json")
    assert response.status_code == 200
    assert response.json() == EXAMPLE_RESULT


def test_scoring_preview_writes_nothing(client, enterprise_user):
    client.force_login(enterprise_user)
    client.post(PREVIEW, example_document(), content_type="application/json")
    assert not Assessment.objects.exists()


def test_scoring_preview_names_every_problem(client, assessor):
    document = example_document()
    del document["answers"]["Q1"]
    document["answers"]["Q2"] = ["C"]
    document["scenes"]["S01"] = 7
    client.force_login(assessor)
    response = client.post(PREVIEW, document, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["valid"] is False and set(body) == {"valid", "errors"}
    fields = {e["field"] for e in body["errors"]}
    assert {"Q1", "Q2", "S01"} <= fields
    assert all(e["message"] for e in body["errors"])


def test_scoring_preview_unknown_version(client, assessor):
    client.force_login(assessor)
    document = {**example_document(), "indicator_version": "1999"}
    response = client.post(PREVIEW, document, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "indicator_version"


def test_scoring_preview_takes_null_data_as_none_as_documented(client, assessor, openapi):
    client.force_login(assessor)
    document = {**example_document(), "data": None}
    response = client.post(PREVIEW, document, content_type="application/json")
    assert response.status_code == 200 and response.json()["valid"] is True
    data = openapi["components"]["schemas"]["AnswerDocumentRequest"]["properties"]["data"]
    assert data["nullable"] is True


@pytest.mark.parametrize("body", ["[1, 2]", "{not json", '"text"'])
def test_scoring_preview_refuses_what_is_not_a_document(client, assessor, body):
    client.force_login(assessor)
    response = client.post(PREVIEW, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["valid"] is False and response.json()["errors"]
