"""Issue 10 defects 1, 7, 8 and 9, each with the attacker's payload through the real page or API:
a 400 naming the field, never a 500 (sme_pilot.inputs, sme_pilot.middleware)."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

import sme_pilot.inputs
from assessments.models import Assessment, Method, Purpose
from reports.models import ReportJob
from tests.assessments.factories import AssessmentFactory

API = "/api/v1/assessments/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(enterprise_user):
    return AssessmentFactory(enterprise=enterprise_user.enterprise)


@pytest.fixture
def no_big_decimals(monkeypatch):
    """Fails if a number text longer than the limit ever reaches Decimal: rejected by shape."""
    real = sme_pilot.inputs.Decimal

    def guarded(value="0", *args):
        assert len(str(value)) <= sme_pilot.inputs.MAX_NUMBER_LENGTH, "converted before checked"
        return real(value, *args)

    monkeypatch.setattr(sme_pilot.inputs, "Decimal", guarded)


def _patch(client, draft, body):
    return client.patch(f"{API}{draft.pk}/", body, content_type="application/json")


# --- 1: numbers in autosave ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1e1000000", "1e5000", "9" * 5000, "NaN", "-1", "１２", "²"])
def test_api_autosave_data_numbers_are_bounded(
    client, enterprise_user, draft, value, no_big_decimals
):
    client.force_login(enterprise_user)
    response = _patch(client, draft, {"data": {"equipment_total": value}, "base_version": 0})
    assert response.status_code == 400
    assert "equipment_total" in json.dumps(response.json(), ensure_ascii=False)
    draft.refresh_from_db()
    assert draft.data == {} and draft.edit_version == 0


def test_api_autosave_huge_json_numbers_are_bounded(client, enterprise_user, draft):
    client.force_login(enterprise_user)
    for raw in ("1" + "0" * 4000, "1e400"):  # an int of 4,001 digits; a float overflowing to inf
        body = '{"data": {"investment_wan_per_year": ' + raw + '}, "base_version": 0}'
        response = _patch(client, draft, body)
        assert response.status_code == 400, raw
    draft.refresh_from_db()
    assert draft.data == {}


def test_api_autosave_scene_rating_of_5000_nines(client, enterprise_user, draft, no_big_decimals):
    client.force_login(enterprise_user)
    response = _patch(client, draft, {"scenes": {"S01": "9" * 5000}, "base_version": 0})
    assert response.status_code == 400 and "S01" in response.json()


def test_api_autosave_still_saves_real_numbers(client, enterprise_user, draft):
    client.force_login(enterprise_user)
    body = {
        "data": {"equipment_total": "120", "investment_wan_per_year": "35.5"},
        "base_version": 0,
    }
    assert _patch(client, draft, body).status_code == 200
    draft.refresh_from_db()
    assert draft.data == {"equipment_total": 120, "investment_wan_per_year": 35.5}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("data:equipment_total", "1e1000000"),
        ("data:equipment_total", "9" * 5000),
        ("S01", "9" * 5000),
    ],
)
def test_page_autosave_numbers_get_a_chinese_message(
    client, enterprise_user, draft, field, value, no_big_decimals
):
    client.force_login(enterprise_user)
    body = {"field": field, "value": value, "base_version": 0}
    response = client.post(f"/assessments/{draft.pk}/autosave/", body)
    assert response.status_code == 400
    text = response.content.decode()
    assert "未保存" in text and ("请填写" in text or "位数过多" in text)
    if field.startswith("data:"):
        assert "生产设备总数" in text  # the field's label


# --- 7: submit and return lengths ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["signer_name", "signer_title"])
def test_api_submit_refuses_a_51_character_signer(client, enterprise_user, name):
    draft = AssessmentFactory(enterprise=enterprise_user.enterprise, complete=True)
    client.force_login(enterprise_user)
    body = {"signer_name": "王经理", "signer_title": "总经理", "pledge_accepted": True}
    body[name] = "王" * 51
    response = client.post(f"{API}{draft.pk}/submit/", body, content_type="application/json")
    assert response.status_code == 400 and name in response.json()
    body[name] = "王" * 50
    response = client.post(f"{API}{draft.pk}/submit/", body, content_type="application/json")
    assert response.status_code == 200


@pytest.mark.parametrize("size", [2001, 4 * 1024 * 1024])
def test_api_return_comment_is_bounded_like_the_page(client, assessor, enterprise, size):
    submitted = AssessmentFactory(enterprise=enterprise, submitted=True)
    client.force_login(assessor)
    url = f"{API}{submitted.pk}/return/"
    # ASCII: 4 MB is under DATA_UPLOAD_MAX_MEMORY_SIZE, so it reaches the serializer.
    response = client.post(url, {"comment": "a" * size}, content_type="application/json")
    assert response.status_code == 400 and "comment" in response.json()
    submitted.refresh_from_db()
    assert submitted.return_comment == ""
    response = client.post(url, {"comment": "改" * 2000}, content_type="application/json")
    assert response.status_code == 200


def test_page_return_comment_has_the_same_limit(client, assessor, enterprise):
    submitted = AssessmentFactory(enterprise=enterprise, submitted=True)
    client.force_login(assessor)
    response = client.post(f"/assessments/{submitted.pk}/return/", {"comment": "改" * 2001})
    assert response.status_code in (200, 400)
    submitted.refresh_from_db()
    assert submitted.return_comment == ""


# --- 8: report as_of ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "as_of", ["9999-12-31", "2030-01-01", "2022-12-31", "2024-13-01", "x" * 100]
)
def test_report_request_refuses_a_date_outside_the_dashboards_range(client, city_official, as_of):
    client.force_login(city_official)
    body = {"kind": "city", "city_code": "HHHT", "as_of": as_of}
    response = client.post("/reports/request/", body)
    assert response.status_code == 400
    assert "as_of" in response.content.decode()
    assert not ReportJob.objects.exists()


def test_report_request_with_a_superscript_assessment_id_is_not_a_500(client, enterprise_user):
    client.force_login(enterprise_user)
    body = {"kind": "assessment", "assessment_id": "²"}
    response = client.post("/reports/request/", body)
    assert response.status_code in (400, 404)
    assert not ReportJob.objects.exists()


def test_dashboard_as_of_in_the_future_is_400(client, ministry_user):
    client.force_login(ministry_user)
    assert client.get("/dashboard/?as_of=9999-12-31").status_code == 400
    assert client.get("/dashboard/?as_of=2030-01-01").status_code == 400


# --- 9: control characters, odd digits, deep JSON -----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/?province=%00",
        "/cities/HHHT/enterprises/?q=%00",
        "/cities/HHHT/enterprises/export.xlsx?q=%00",
        "/accounts/?q=%00",
        "/cities/%00/",
        "/api/v1/enterprises/%00/",
        "/api/v1/cities/%00/",
        "/api/v1/enterprises/?q=a%01b",
        "/api/v1/assessments/%00/",
    ],
)
def test_nul_in_path_or_query_is_400(client, admin_user_, city, url):
    client.force_login(admin_user_)
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert "控制字符" in response.json()["detail"]
    else:
        assert "控制字符" in response.content.decode()


def test_nul_in_an_autosaved_note_is_400_on_the_page_and_in_the_api(client, assessor, enterprise):
    onsite = AssessmentFactory(
        enterprise=enterprise, method=Method.ONSITE, purpose=Purpose.BASELINE
    )
    client.force_login(assessor)
    body = {"field": "note:Q2", "value": "台账\x00第 3 页", "base_version": 0}
    response = client.post(f"/assessments/{onsite.pk}/autosave/", body)
    assert response.status_code == 400
    response = _patch(client, onsite, {"evidence_notes": {"Q2": "台账\x00"}, "base_version": 0})
    assert response.status_code == 400 and "evidence_notes.Q2" in response.json()
    # Line breaks in a text area are text.
    body = {"field": "note:Q2", "value": "台账\r\n第 3 页", "base_version": 0}
    assert client.post(f"/assessments/{onsite.pk}/autosave/", body).status_code == 200
    assert Assessment.objects.get(pk=onsite.pk).evidence_notes == {"Q2": "台账\r\n第 3 页"}


def test_superscript_batch_is_not_a_500(client, ministry_user):
    client.force_login(ministry_user)
    assert client.get("/dashboard/?batch=²").status_code == 200
    assert client.get("/dashboard/?batch=99999999999999999999").status_code == 200


@pytest.mark.parametrize("depth", [33, 5000])
def test_json_nested_deep_is_400_at_every_json_endpoint(client, enterprise_user, draft, depth):
    client.force_login(enterprise_user)
    deep = "[" * depth + "]" * depth
    for method, url in [
        ("patch", f"{API}{draft.pk}/"),
        ("post", API),
        ("post", "/api/v1/scoring/preview/"),
        ("post", f"{API}{draft.pk}/submit/"),
    ]:
        body = '{"data": ' + deep + ', "base_version": 0}'
        response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == 400, (url, response.status_code)
        if "preview" not in url:  # the preview answers any unreadable document in its own shape
            assert "嵌套过深" in response.json()["detail"]


@pytest.mark.parametrize("as_of", ["2030-01-01", "2022-12-31"])
def test_commands_share_the_bounded_as_of(city, tmp_path, as_of):
    with pytest.raises(CommandError, match="as_of"):
        call_command("compliance", "HHHT", "--as-of", as_of)
    output = str(tmp_path / "r.pdf")
    with pytest.raises(CommandError, match="as_of"):
        call_command(
            "render_report", "city", "--city", "HHHT", "--as-of", as_of, "--output", output
        )
