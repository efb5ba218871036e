"""The admin: an administrator corrects the indicators by adding a revision; revisions, pledge
texts that exist and assessments are read-only there."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import Role
from assessments import indicators, services
from assessments.models import (
    Assessment,
    IndicatorRevision,
    IndicatorVersion,
    PledgeText,
)
from tests.assessments.factories import AssessmentFactory, example_document
from tests.cities.factories import UserFactory

pytestmark = pytest.mark.django_db


def url(model, view: str, *args: Any) -> str:
    return reverse(f"admin:assessments_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def admin_client_(client, admin_user_):
    client.force_login(admin_user_)
    return client


@pytest.fixture
def r1() -> IndicatorRevision:
    revision = indicators.current_revision("2024")
    assert revision is not None and revision.number == 1
    return revision


def corrected(r1: IndicatorRevision) -> dict[str, Any]:
    """Level 2 needs 45 points instead of 40 (the §3.1 example, 44.975, drops to level 1)."""
    definition = copy.deepcopy(r1.definition)
    gate = next(g for g in definition["gates"] if g["level"] == 2)
    gate["min_score"] = "45"
    return definition


def post_correction(client, version, definition: Any, note: str = "二级门槛 40 → 45"):
    text = definition if isinstance(definition, str) else json.dumps(definition, indent=2)
    return client.post(
        url(IndicatorRevision, "add"),
        {"version": version.pk, "definition": text, "note": note},
    )


# --- the correction flow -------------------------------------------------------------------------


def test_add_form_is_prefilled_with_the_current_definition(admin_client_, r1):
    response = admin_client_.get(url(IndicatorRevision, "add"))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.initial["version"] == r1.version.pk
    assert json.loads(form.initial["definition"]) == r1.definition
    assert form.initial["definition"].startswith("{\n  ")  # pretty-printed
    assert "修订说明" in response.content.decode()


def test_add_form_follows_the_chosen_version(admin_client_, r1):
    definition = copy.deepcopy(r1.definition)
    definition["version"] = "2099"
    other = IndicatorVersion.objects.create(code="2099", name="测试版本")
    IndicatorRevision.objects.create(version=other, number=1, definition=definition)

    form = (
        admin_client_.get(url(IndicatorRevision, "add"), {"version": r1.version.pk})
        .context["adminform"]
        .form
    )
    assert json.loads(form.initial["definition"])["version"] == "2024"
    form = admin_client_.get(url(IndicatorRevision, "add")).context["adminform"].form
    assert form.initial["version"] == other.pk  # default: the newest version


def test_admin_adds_a_corrected_revision(admin_client_, admin_user_, r1, enterprise):
    existing = AssessmentFactory(enterprise=enterprise, submitted=True)
    assert existing.revision == r1 and existing.level == 2

    response = post_correction(admin_client_, r1.version, corrected(r1))

    assert response.status_code == 302, response.context["adminform"].form.errors
    r2 = indicators.current_revision("2024")
    assert (r2.number, r2.note, r2.created_by) == (2, "二级门槛 40 → 45", admin_user_)
    assert r2.definition == corrected(r1)
    r1.refresh_from_db()
    assert next(g for g in r1.definition["gates"] if g["level"] == 2)["min_score"] == "40"
    # Existing assessments keep the revision (and level) they were scored with.
    existing.refresh_from_db()
    assert existing.revision == r1 and existing.level == 2
    # New work and the scoring preview use the correction.
    user = UserFactory(role=Role.ENTERPRISE, enterprise=enterprise)
    fresh = services.assessment_create(actor=user, enterprise=enterprise, purpose="post")
    assert fresh.revision == r2
    preview = admin_client_.post(
        "/api/v1/scoring/preview/", example_document(), content_type="application/json"
    )
    assert preview.json()["level"] == 1


def test_changelist_shows_revisions_with_their_use(admin_client_, r1, enterprise):
    AssessmentFactory.create_batch(3, enterprise=enterprise)
    post_correction(admin_client_, r1.version, corrected(r1))
    response = admin_client_.get(url(IndicatorRevision, "changelist"))
    assert response.status_code == 200
    rows = {r.number: r for r in response.context["cl"].result_list}
    assert set(rows) == {1, 2}
    assert (rows[1].assessment_total, rows[2].assessment_total) == (3, 0)
    body = response.content.decode()
    for text in ("初始版本（随系统发布）", "二级门槛 40 → 45", "admin1", "使用该修订的评测数"):
        assert text in body


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ('{"version": "2024", ', "不是有效的 JSON"),
        ("[1, 2]", "JSON 对象"),
    ],
)
def test_invalid_json_is_a_form_error_and_nothing_is_saved(admin_client_, r1, definition, message):
    response = post_correction(admin_client_, r1.version, definition)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in errors["definition"][0]
    assert IndicatorRevision.objects.filter(version=r1.version).count() == 1


def _option(definition: dict[str, Any], question: str, option: str) -> dict[str, Any]:
    q = next(q for q in definition["questions"] if q["code"] == question)
    return next(o for o in q["options"] if o["code"] == option)


def _inconsistent_q14(r1: IndicatorRevision) -> dict[str, Any]:
    definition = copy.deepcopy(r1.definition)
    _option(definition, "Q14", "C")["points"] = "2.5"  # the question's maximum still says 3
    return definition


def _wrong_version(r1: IndicatorRevision) -> dict[str, Any]:
    return {**copy.deepcopy(r1.definition), "version": "2025"}


def _gate_above_maximum(r1: IndicatorRevision) -> dict[str, Any]:
    definition = copy.deepcopy(r1.definition)
    definition["gates"][0]["min_score"] = "120"
    return definition


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_inconsistent_q14, "Q14"),
        (_wrong_version, "版本号应为 2024"),
        (_gate_above_maximum, "超过了满分"),
    ],
)
def test_inconsistent_definition_is_a_form_error_and_nothing_is_saved(
    admin_client_, r1, change, message
):
    response = post_correction(admin_client_, r1.version, change(r1))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in errors["definition"][0]
    assert IndicatorRevision.objects.filter(version=r1.version).count() == 1


def test_consistent_point_correction_is_accepted(admin_client_, r1):
    definition = copy.deepcopy(r1.definition)
    _option(definition, "Q14", "B")["points"] = "1"  # 持平 1.5 → 1; the maximum (C, 3) stands
    response = post_correction(admin_client_, r1.version, definition, note="Q14 B 1.5 → 1")
    assert response.status_code == 302
    r2 = indicators.current_revision("2024")
    assert r2.number == 2 and _option(r2.definition, "Q14", "B")["points"] == "1"


def test_unchanged_definition_is_refused(admin_client_, r1):
    response = post_correction(admin_client_, r1.version, r1.definition)
    assert response.status_code == 200
    assert "完全相同" in response.context["adminform"].form.errors["definition"][0]
    assert IndicatorRevision.objects.count() == 1


def test_note_is_required(admin_client_, r1):
    response = post_correction(admin_client_, r1.version, corrected(r1), note="  ")
    assert response.status_code == 200
    assert "note" in response.context["adminform"].form.errors
    assert IndicatorRevision.objects.count() == 1


# --- read-only records ---------------------------------------------------------------------------


def test_existing_revisions_are_read_only(admin_client_, r1):
    change = url(IndicatorRevision, "change", r1.pk)
    response = admin_client_.get(change)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="_save"' not in body and "<textarea" not in body
    assert "初始版本（随系统发布）" in body
    tampered = admin_client_.post(
        change, {"version": r1.version.pk, "note": "改", "definition": "{}"}
    )
    assert tampered.status_code == 403
    assert (
        admin_client_.post(url(IndicatorRevision, "delete", r1.pk), {"post": "yes"}).status_code
        == 403
    )
    r1.refresh_from_db()
    assert r1.note == "初始版本（随系统发布）" and r1.definition["version"] == "2024"


def test_existing_pledge_texts_are_read_only_and_new_versions_can_be_added(admin_client_):
    pledge = PledgeText.objects.get()
    change = url(PledgeText, "change", pledge.pk)
    assert admin_client_.get(change).status_code == 200
    assert admin_client_.post(change, {"version": pledge.version, "text": "改"}).status_code == 403
    response = admin_client_.post(url(PledgeText, "add"), {"version": "2026-1", "text": "新的承诺"})
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.text != "改"
    assert PledgeText.objects.order_by("-created_at", "-id").first().version == "2026-1"


def test_assessments_are_read_only_with_history(admin_client_, enterprise, assessor):
    assessment = AssessmentFactory(enterprise=enterprise, confirmed=True, confirmed_by=assessor)
    assert admin_client_.get(url(Assessment, "changelist")).status_code == 200
    filtered = admin_client_.get(url(Assessment, "changelist"), {"state__exact": "confirmed"})
    assert list(filtered.context["cl"].result_list) == [assessment]
    assert admin_client_.get(url(Assessment, "change", assessment.pk)).status_code == 200
    assert admin_client_.get(url(Assessment, "history", assessment.pk)).status_code == 200
    assert admin_client_.get(url(Assessment, "add")).status_code == 403
    assert (
        admin_client_.post(url(Assessment, "change", assessment.pk), {"level": 4}).status_code
        == 403
    )
    assessment.refresh_from_db()
    assert assessment.level == 2


def test_indicator_versions_link_to_a_correction(admin_client_, r1):
    response = admin_client_.get(url(IndicatorVersion, "changelist"))
    assert response.status_code == 200
    assert f"{url(IndicatorRevision, 'add')}?version={r1.version.pk}" in response.content.decode()
    assert admin_client_.get(url(IndicatorVersion, "change", r1.version.pk)).status_code == 200


def test_every_model_is_registered():
    registered = {m for m in admin.site._registry if m._meta.app_label == "assessments"}
    assert registered >= {Assessment, PledgeText, IndicatorVersion, IndicatorRevision}


@pytest.mark.parametrize(
    "persona", ["enterprise_user", "assessor", "city_official", "ministry_user"]
)
def test_only_administrators_reach_the_correction_form(client, request, persona, r1):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(url(IndicatorRevision, "add"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
