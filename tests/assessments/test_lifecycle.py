"""The assessment lifecycle at the service level (docs/rules.md §2.4).

draft → submitted (with the truthfulness pledge) → returned → edited → resubmitted; on-site drafts
prefilled from the self-assessment, confirmed by the city's assessor; confirmed assessments are
immutable and corrected by a superseding one; autosave never lets an older save win.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict

from accounts.models import Role
from assessments import indicators, selectors, services
from assessments.models import (
    Assessment,
    IndicatorRevision,
    IndicatorVersion,
    Method,
    Purpose,
    State,
)
from sme_pilot.errors import Forbidden, NotFound
from tests.assessments.factories import EXAMPLE_RESULT, complete_answers
from tests.cities.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_assessor(other_city):
    return UserFactory(username="assessor2", role=Role.ASSESSOR, city=other_city)


def autosave(actor, assessment: Assessment, field: str, value: Any, base: int | None = None):
    if base is None:
        base = Assessment.objects.get(pk=assessment.pk).edit_version
    return services.assessment_autosave(
        actor=actor, assessment_id=assessment.pk, field_name=field, value=value, base_version=base
    )


def fill(actor, assessment: Assessment, *, skip: tuple[str, ...] = ()) -> None:
    """Answer every question and scene of the §3.1 example through autosave, as a browser would."""
    answers, scenes, data = complete_answers()
    for code, value in [*answers.items(), *scenes.items()]:
        if code not in skip:
            autosave(actor, assessment, code, value)
    for code, value in data.items():
        autosave(actor, assessment, f"data:{code}", value)


def submit(actor, assessment: Assessment, **overrides: Any) -> Assessment:
    kwargs = {"signer_name": "王经理", "signer_title": "总经理", "pledge_accepted": True}
    kwargs.update(overrides)
    return services.assessment_submit(actor=actor, assessment_id=assessment.pk, **kwargs)


def snapshot(assessment: Assessment) -> dict[str, Any]:
    return model_to_dict(Assessment.objects.get(pk=assessment.pk))


@pytest.fixture
def submitted_self(enterprise, enterprise_user) -> Assessment:
    draft = services.assessment_create(
        actor=enterprise_user, enterprise=enterprise, purpose=Purpose.BASELINE
    )
    fill(enterprise_user, draft)
    return submit(enterprise_user, draft)


@pytest.fixture
def confirmed_onsite(enterprise, assessor, submitted_self) -> Assessment:
    onsite = services.assessment_create(
        actor=assessor, enterprise=enterprise, purpose=Purpose.BASELINE
    )
    return services.assessment_confirm(actor=assessor, assessment_id=onsite.pk)


# --- self-assessment: draft → submitted → returned → edited → resubmitted ------------------------


def test_self_assessment_round_trip_with_pledge_return_and_resubmission(
    enterprise, enterprise_user, assessor
):
    draft = services.assessment_create(
        actor=enterprise_user, enterprise=enterprise, purpose=Purpose.SELF_CHECK
    )
    assert (draft.method, draft.state) == (Method.SELF, State.DRAFT)
    assert draft.created_by == enterprise_user
    assert draft.revision == indicators.current_revision("2024")
    assert draft.level is None and draft.total_score is None

    fill(enterprise_user, draft)
    submitted = submit(enterprise_user, draft)

    submitted.refresh_from_db()
    assert submitted.state == State.SUBMITTED
    assert (submitted.pledge_signer, submitted.pledge_title) == ("王经理", "总经理")
    assert submitted.pledged_at is not None and submitted.submitted_at is not None
    assert submitted.pledge_text == selectors.current_pledge_text()
    assert submitted.pledge_text.version == "2024-1"
    assert submitted.level == 2
    assert submitted.total_score == Decimal("44.975")
    assert submitted.result == EXAMPLE_RESULT
    # A self-assessment never counts as the enterprise's level.
    assert selectors.current_level_of(enterprise=enterprise) is None

    returned = services.assessment_return(
        actor=assessor, assessment_id=draft.pk, comment="  Q14 请附上近两年人均营收数据  "
    )
    returned.refresh_from_db()
    assert returned.state == State.RETURNED
    assert returned.return_comment == "Q14 请附上近两年人均营收数据"
    assert returned.returned_by == assessor and returned.returned_at is not None

    autosave(enterprise_user, draft, "Q14", "B")
    resubmitted = submit(enterprise_user, draft, signer_name="李四")
    resubmitted.refresh_from_db()
    assert resubmitted.state == State.SUBMITTED
    assert resubmitted.answers["Q14"] == "B"
    assert resubmitted.total_score == Decimal("43.475")
    assert resubmitted.pledge_signer == "李四"
    assert resubmitted.return_comment == ""
    reasons = resubmitted.history.filter(history_change_reason__isnull=False).order_by("history_id")
    assert [h.history_change_reason for h in reasons] == ["提交自评", "退回修改", "提交自评"]


def test_submitted_self_assessment_cannot_be_edited_until_returned(submitted_self, enterprise_user):
    before = snapshot(submitted_self)
    with pytest.raises(ValidationError, match="不能再修改"):
        autosave(enterprise_user, submitted_self, "Q14", "A")
    assert snapshot(submitted_self) == before


# --- on-site: prefilled, notes, confirm ----------------------------------------------------------


def test_onsite_draft_is_prefilled_from_the_latest_submitted_self_assessment(
    enterprise, enterprise_user, assessor, submitted_self
):
    # A newer draft (not submitted) is not the basis; the submitted one is.
    services.assessment_create(actor=enterprise_user, enterprise=enterprise, purpose="post")

    onsite = services.assessment_create(actor=assessor, enterprise=enterprise, purpose="baseline")

    assert (onsite.method, onsite.state, onsite.purpose) == (Method.ONSITE, State.DRAFT, "baseline")
    assert onsite.based_on == submitted_self
    assert (onsite.answers, onsite.scenes, onsite.data) == (
        submitted_self.answers,
        submitted_self.scenes,
        submitted_self.data,
    )


def test_onsite_without_self_assessment_starts_empty(enterprise, assessor):
    onsite = services.assessment_create(actor=assessor, enterprise=enterprise, purpose="post")
    assert onsite.based_on is None and onsite.answers == {} and onsite.scenes == {}


def test_assessor_notes_evidence_and_confirm_sets_the_current_level(
    enterprise, assessor, submitted_self
):
    onsite = services.assessment_create(actor=assessor, enterprise=enterprise, purpose="baseline")
    autosave(assessor, onsite, "note:Q2", "  设备台账第 3 页，120 台中 30 台数控  ")
    autosave(assessor, onsite, "note:S13", "财务系统现场演示")
    autosave(assessor, onsite, "note:S13", "")  # clearing a note removes it

    confirmed = services.assessment_confirm(actor=assessor, assessment_id=onsite.pk)

    confirmed.refresh_from_db()
    assert confirmed.evidence_notes == {"Q2": "设备台账第 3 页，120 台中 30 台数控"}
    assert confirmed.state == State.CONFIRMED
    assert confirmed.confirmed_by == assessor and confirmed.confirmed_at is not None
    assert confirmed.level == 2 and confirmed.result == EXAMPLE_RESULT
    assert selectors.current_level_of(enterprise=enterprise) == 2
    # The self-assessment it was based on is untouched.
    submitted_self.refresh_from_db()
    assert submitted_self.state == State.SUBMITTED


def test_evidence_notes_are_only_for_onsite_assessments(enterprise, enterprise_user):
    draft = services.assessment_create(actor=enterprise_user, enterprise=enterprise, purpose="post")
    with pytest.raises(ValidationError) as exc:
        autosave(enterprise_user, draft, "note:Q2", "说明")
    assert "note:Q2" in exc.value.message_dict


def test_incomplete_onsite_cannot_be_confirmed(enterprise, assessor):
    onsite = services.assessment_create(actor=assessor, enterprise=enterprise, purpose="post")
    autosave(assessor, onsite, "Q1", ["B"])
    with pytest.raises(ValidationError) as exc:
        services.assessment_confirm(actor=assessor, assessment_id=onsite.pk)
    assert "还有 30 项未填写" in exc.value.message_dict["answers"][0]
    onsite.refresh_from_db()
    assert onsite.state == State.DRAFT and onsite.level is None


# --- confirmed is immutable; a correction supersedes ---------------------------------------------


def test_confirmed_assessment_is_immutable(confirmed_onsite, assessor, enterprise_user):
    before = snapshot(confirmed_onsite)
    with pytest.raises(ValidationError, match="不能再修改"):
        autosave(assessor, confirmed_onsite, "Q14", "A")
    with pytest.raises(ValidationError, match="不能再修改"):
        autosave(assessor, confirmed_onsite, "note:Q1", "补充说明")
    with pytest.raises(ValidationError, match="不能再修改"):
        services.assessment_confirm(actor=assessor, assessment_id=confirmed_onsite.pk)
    with pytest.raises(Forbidden):
        submit(assessor, confirmed_onsite)
    with pytest.raises(Forbidden):
        submit(enterprise_user, confirmed_onsite)
    with pytest.raises(ValidationError):
        services.assessment_return(actor=assessor, assessment_id=confirmed_onsite.pk, comment="x")
    assert snapshot(confirmed_onsite) == before


def test_correction_supersedes_and_becomes_the_current_level_once_confirmed(
    enterprise, assessor, confirmed_onsite
):
    correction = services.assessment_correct(actor=assessor, assessment=confirmed_onsite)

    assert correction.pk != confirmed_onsite.pk
    assert correction.supersedes == confirmed_onsite
    assert (correction.state, correction.method) == (State.DRAFT, Method.ONSITE)
    assert correction.answers == confirmed_onsite.answers
    # Until the correction is confirmed, the old level stands.
    assert selectors.current_level_of(enterprise=enterprise) == 2

    autosave(assessor, correction, "Q13", "A")  # 44.975 − 7 = 37.975: below the level-2 gate
    services.assessment_confirm(actor=assessor, assessment_id=correction.pk)

    correction.refresh_from_db()
    assert correction.level == 1 and correction.total_score == Decimal("37.975")
    assert selectors.current_level_of(enterprise=enterprise) == 1
    confirmed_onsite.refresh_from_db()
    assert confirmed_onsite.state == State.CONFIRMED and confirmed_onsite.level == 2
    assert list(confirmed_onsite.superseded_by.all()) == [correction]


def test_only_confirmed_onsite_assessments_can_be_corrected(assessor, submitted_self):
    with pytest.raises(ValidationError, match="只能更正已确认的现场评定"):
        services.assessment_correct(actor=assessor, assessment=submitted_self)


def test_only_the_citys_assessor_may_correct(confirmed_onsite, enterprise_user, city_official):
    for actor in (enterprise_user, city_official):
        with pytest.raises(Forbidden):
            services.assessment_correct(actor=actor, assessment=confirmed_onsite)
    assert not confirmed_onsite.superseded_by.exists()


# --- who may do what -----------------------------------------------------------------------------


def test_assessor_of_another_city_gets_404_everywhere(
    enterprise, other_assessor, submitted_self, confirmed_onsite
):
    with pytest.raises(NotFound):
        services.assessment_create(actor=other_assessor, enterprise=enterprise, purpose="post")
    with pytest.raises(NotFound):
        services.assessment_return(
            actor=other_assessor, assessment_id=submitted_self.pk, comment="x"
        )
    with pytest.raises(NotFound):
        services.assessment_correct(actor=other_assessor, assessment=confirmed_onsite)
    onsite = Assessment.objects.get(pk=confirmed_onsite.pk)
    with pytest.raises(NotFound):
        services.assessment_confirm(actor=other_assessor, assessment_id=onsite.pk)
    with pytest.raises(NotFound):
        autosave(other_assessor, onsite, "Q1", ["B"])
    assert Assessment.objects.filter(enterprise=enterprise).count() == 2


def test_enterprise_user_cannot_confirm_its_own_self_assessment(submitted_self, enterprise_user):
    with pytest.raises(Forbidden):
        services.assessment_confirm(actor=enterprise_user, assessment_id=submitted_self.pk)
    submitted_self.refresh_from_db()
    assert submitted_self.state == State.SUBMITTED and submitted_self.confirmed_at is None


def test_assessor_cannot_confirm_a_self_assessment(submitted_self, assessor):
    with pytest.raises(ValidationError, match="自评不能直接确认"):
        services.assessment_confirm(actor=assessor, assessment_id=submitted_self.pk)
    submitted_self.refresh_from_db()
    assert submitted_self.state == State.SUBMITTED


def test_enterprise_user_only_ever_creates_self_assessments(enterprise, enterprise_user):
    for purpose in Purpose.values:
        created = services.assessment_create(
            actor=enterprise_user, enterprise=enterprise, purpose=purpose
        )
        assert created.method == Method.SELF


def test_enterprise_user_cannot_touch_an_onsite_assessment(enterprise, enterprise_user, assessor):
    onsite = services.assessment_create(actor=assessor, enterprise=enterprise, purpose="baseline")
    fill(assessor, onsite)
    before = snapshot(onsite)
    with pytest.raises(Forbidden):
        autosave(enterprise_user, onsite, "Q14", "A")
    with pytest.raises(Forbidden):
        services.assessment_confirm(actor=enterprise_user, assessment_id=onsite.pk)
    with pytest.raises(Forbidden):
        submit(enterprise_user, onsite)
    assert snapshot(onsite) == before


def test_enterprise_cannot_assess_another_enterprise(enterprise, other_enterprise_user):
    with pytest.raises(NotFound):
        services.assessment_create(
            actor=other_enterprise_user, enterprise=enterprise, purpose="self_check"
        )


def test_assessor_cannot_start_an_onsite_self_check(enterprise, assessor):
    with pytest.raises(ValidationError) as exc:
        services.assessment_create(actor=assessor, enterprise=enterprise, purpose="self_check")
    assert "purpose" in exc.value.message_dict


@pytest.mark.parametrize("persona", ["city_official", "ministry_user", "admin_user_"])
def test_read_only_roles_cannot_create(request, enterprise, persona):
    actor = request.getfixturevalue(persona)
    with pytest.raises(Forbidden):
        services.assessment_create(actor=actor, enterprise=enterprise, purpose="baseline")
    assert not Assessment.objects.exists()


# --- submission explains what is missing ---------------------------------------------------------


def test_submit_without_pledge_signer_or_answers_names_everything_missing(
    enterprise, enterprise_user
):
    draft = services.assessment_create(actor=enterprise_user, enterprise=enterprise, purpose="post")
    with pytest.raises(ValidationError) as exc:
        submit(enterprise_user, draft, signer_name=" ", signer_title="", pledge_accepted=False)
    errors = exc.value.message_dict
    assert "真实性承诺" in errors["pledge"][0]
    assert "承诺人姓名" in errors["signer_name"][0]
    assert "承诺人职务" in errors["signer_title"][0]
    assert "还有 31 项未填写" in errors["answers"][0]
    assert "Q1" in errors["answers"][0] and "S16" in errors["answers"][0]
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and draft.pledged_at is None


def test_incomplete_submission_names_the_missing_codes(enterprise, enterprise_user):
    draft = services.assessment_create(actor=enterprise_user, enterprise=enterprise, purpose="post")
    fill(enterprise_user, draft, skip=("Q7", "S16"))
    with pytest.raises(ValidationError) as exc:
        submit(enterprise_user, draft)
    assert exc.value.message_dict == {"answers": ["还有 2 项未填写：Q7、S16"]}
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


def test_submission_with_contradictory_data_names_both_fields(enterprise, enterprise_user):
    draft = services.assessment_create(actor=enterprise_user, enterprise=enterprise, purpose="post")
    fill(enterprise_user, draft)
    autosave(enterprise_user, draft, "data:equipment_digital", 100)  # 100/120 is band E, not C
    with pytest.raises(ValidationError) as exc:
        submit(enterprise_user, draft)
    text = str(exc.value.message_dict)
    assert "Q2" in text or "equipment_digital" in text
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


# --- answers belong to the assessment's indicator version ----------------------------------------


@pytest.fixture
def version_2099(db) -> IndicatorRevision:
    """Another edition whose last question is Q16 instead of Q15."""
    definition = copy.deepcopy(indicators.current_revision("2024").definition)
    definition["version"] = "2099"
    definition["questions"][-1]["code"] = "Q16"
    version = IndicatorVersion.objects.create(code="2099", name="测试版本")
    return IndicatorRevision.objects.create(version=version, number=1, definition=definition)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Q16", "A"),  # a question of version 2099 only
        ("Q99", "A"),
        ("S17", 2),
        ("data:revenue", 100),
        ("level", 4),
    ],
)
def test_unknown_codes_are_refused_by_name(enterprise, enterprise_user, version_2099, field, value):
    draft = services.assessment_create(
        actor=enterprise_user, enterprise=enterprise, purpose="post", version_code="2024"
    )
    with pytest.raises(ValidationError) as exc:
        autosave(enterprise_user, draft, field, value)
    assert field in exc.value.message_dict
    draft.refresh_from_db()
    assert (draft.answers, draft.scenes, draft.data, draft.edit_version) == ({}, {}, {}, 0)


def test_a_question_of_another_version_is_accepted_only_there(
    enterprise, enterprise_user, version_2099
):
    newer = services.assessment_create(
        actor=enterprise_user, enterprise=enterprise, purpose="post", version_code="2099"
    )
    autosave(enterprise_user, newer, "Q16", "B")
    with pytest.raises(ValidationError):
        autosave(enterprise_user, newer, "Q15", "B")
    newer.refresh_from_db()
    assert newer.answers == {"Q16": "B"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Q2", "Z"),  # unknown option
        ("Q2", ["C"]),  # single question answered with a list
        ("Q1", ["A", "B"]),  # "none" combined with other options
        ("Q1", "B"),  # multi question answered with one code
        ("S01", 5),  # outside 0-4
        ("S01", "高"),
        ("data:equipment_total", -1),
    ],
)
def test_invalid_values_are_refused_and_nothing_changes(enterprise, enterprise_user, field, value):
    draft = services.assessment_create(actor=enterprise_user, enterprise=enterprise, purpose="post")
    with pytest.raises(ValidationError) as exc:
        autosave(enterprise_user, draft, field, value)
    assert field in exc.value.message_dict
    draft.refresh_from_db()
    assert (draft.answers, draft.scenes, draft.data, draft.edit_version) == ({}, {}, {}, 0)


# --- autosave conflicts --------------------------------------------------------------------------


def test_stale_save_with_a_different_value_conflicts_and_changes_nothing(
    enterprise, enterprise_user
):
    draft = services.assessment_create(actor=enterprise_user, enterprise=enterprise, purpose="post")
    first = autosave(enterprise_user, draft, "Q2", "C", base=0)
    assert (first.edit_version, first.field_version) == (1, 1)

    with pytest.raises(services.AutosaveConflict) as exc:
        autosave(enterprise_user, draft, "Q2", "D", base=0)  # another tab, loaded before

    assert (exc.value.field, exc.value.current, exc.value.version) == ("Q2", "C", 1)
    draft.refresh_from_db()
    assert draft.answers == {"Q2": "C"}
    assert (draft.edit_version, draft.field_versions) == (1, {"Q2": 1})


def test_stale_save_with_the_same_value_is_no_conflict(enterprise, enterprise_user):
    draft = services.assessment_create(actor=enterprise_user, enterprise=enterprise, purpose="post")
    autosave(enterprise_user, draft, "Q2", "C", base=0)
    result = autosave(enterprise_user, draft, "Q2", "C", base=0)
    assert result.edit_version == 1
    draft.refresh_from_db()
    assert draft.answers == {"Q2": "C"} and draft.edit_version == 1


def test_stale_save_of_another_field_is_no_conflict(enterprise, enterprise_user):
    draft = services.assessment_create(actor=enterprise_user, enterprise=enterprise, purpose="post")
    autosave(enterprise_user, draft, "Q2", "C", base=0)
    autosave(enterprise_user, draft, "Q3", "B", base=0)
    draft.refresh_from_db()
    assert draft.answers == {"Q2": "C", "Q3": "B"}
    assert draft.field_versions == {"Q2": 1, "Q3": 2}


def test_an_older_save_arriving_after_a_newer_one_never_wins(enterprise, enterprise_user):
    draft = services.assessment_create(actor=enterprise_user, enterprise=enterprise, purpose="post")
    autosave(enterprise_user, draft, "Q2", "A", base=0)
    # The user picks B, then D, before either request is answered: both carry base 1.
    # D's request overtakes B's.
    autosave(enterprise_user, draft, "Q2", "D", base=1)
    with pytest.raises(services.AutosaveConflict) as exc:
        autosave(enterprise_user, draft, "Q2", "B", base=1)
    assert exc.value.current == "D"
    draft.refresh_from_db()
    assert draft.answers["Q2"] == "D"
    assert draft.field_versions["Q2"] == draft.edit_version == 2


def test_autosave_reports_progress_and_data_cross_check_advice(enterprise, enterprise_user):
    draft = services.assessment_create(actor=enterprise_user, enterprise=enterprise, purpose="post")
    autosave(enterprise_user, draft, "Q2", "A")
    autosave(enterprise_user, draft, "data:equipment_total", "120")
    result = autosave(enterprise_user, draft, "data:equipment_digital", 30)
    assert (result.answered, result.total_items) == (1, 31)
    assert result.messages  # 30 of 120 is band C, not A: advice while editing, not an error
    draft.refresh_from_db()
    assert draft.data == {"equipment_total": 120, "equipment_digital": 30}


def test_a_confirmed_assessment_is_corrected_only_once(assessor, confirmed_onsite):
    services.assessment_correct(actor=assessor, assessment=confirmed_onsite)
    with pytest.raises(ValidationError, match="已有一份更正"):
        services.assessment_correct(actor=assessor, assessment=confirmed_onsite)
    assert Assessment.objects.filter(supersedes=confirmed_onsite).count() == 1


def test_the_database_holds_one_correction_per_assessment(assessor, confirmed_onsite):
    """Past the service too (simultaneous requests race in tests/test_concurrency.py)."""
    correction = services.assessment_correct(actor=assessor, assessment=confirmed_onsite)
    second = Assessment(
        enterprise=confirmed_onsite.enterprise,
        purpose=confirmed_onsite.purpose,
        method=Method.ONSITE,
        assessed_on=confirmed_onsite.assessed_on,
        supersedes=confirmed_onsite,
    )
    # PostgreSQL names the constraint; SQLite the column.
    refused = pytest.raises(IntegrityError, match=r"one_correction|supersedes_id")
    with refused, transaction.atomic():
        second.save()
    assert list(Assessment.objects.filter(supersedes=confirmed_onsite)) == [correction]


@pytest.mark.parametrize(
    ("value", "stored"), [("12.5", 12.5), ("300", 300), ("0", 0), (" 7.25 ", 7.25)]
)
def test_investment_amount_accepts_decimals(enterprise, enterprise_user, value, stored):
    draft = services.assessment_create(
        actor=enterprise_user, enterprise=enterprise, purpose=Purpose.SELF_CHECK
    )
    autosave(enterprise_user, draft, "data:investment_wan_per_year", value)
    draft.refresh_from_db()
    assert draft.data["investment_wan_per_year"] == stored


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("data:investment_wan_per_year", "-1"),
        ("data:investment_wan_per_year", "1.234"),
        ("data:equipment_total", "12.5"),
        ("data:equipment_total", "很多"),
    ],
)
def test_data_fields_refuse_values_they_cannot_hold(enterprise, enterprise_user, field, value):
    draft = services.assessment_create(
        actor=enterprise_user, enterprise=enterprise, purpose=Purpose.SELF_CHECK
    )
    with pytest.raises(ValidationError) as exc:
        autosave(enterprise_user, draft, field, value)
    assert field in exc.value.message_dict
    draft.refresh_from_db()
    assert draft.data == {}
