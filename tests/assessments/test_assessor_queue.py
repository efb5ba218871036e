"""The on-site assessor's work (issue 12): the queue of self-assessments waiting for an on-site
assessment (待评定), starting one with the purpose and prefill of the self-assessment, and the
two-step confirmation with its preview."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from assessments import selectors, services
from assessments.models import Assessment, Method, Purpose, State
from tests.assessments.factories import AssessmentFactory, confirmed_level
from tests.cities.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

QUEUE = "/assessments/assessor/queue/"


def submitted(enterprise, purpose=Purpose.BASELINE, *, hours_ago=0, **kwargs):
    return AssessmentFactory(
        enterprise=enterprise,
        submitted=True,
        purpose=purpose,
        submitted_at=timezone.now() - dt.timedelta(hours=hours_ago),
        **kwargs,
    )


def onsite(enterprise, purpose=Purpose.BASELINE, **kwargs):
    return AssessmentFactory(enterprise=enterprise, method=Method.ONSITE, purpose=purpose, **kwargs)


def queue_ids(user, purpose=None):
    return list(
        selectors.onsite_queue_visible_to(user=user, purpose=purpose).values_list("id", flat=True)
    )


# --- the queue: who is in it --------------------------------------------------------------------


def test_queue_holds_submitted_baseline_and_post_self_assessments_newest_first(
    assessor, enterprise, other_enterprise, sub_industry
):
    second = EnterpriseFactory(sub_industry=sub_industry)
    old = submitted(enterprise, Purpose.BASELINE, hours_ago=5)
    new = submitted(second, Purpose.POST, hours_ago=1)
    submitted(enterprise, Purpose.SELF_CHECK)  # a self-check: no on-site assessment answers it
    AssessmentFactory(enterprise=enterprise, purpose=Purpose.POST, complete=True)  # a draft
    submitted(second, Purpose.BASELINE, state=State.RETURNED)  # returned: the enterprise's again
    submitted(other_enterprise, Purpose.BASELINE)  # another city

    assert queue_ids(assessor) == [new.pk, old.pk]
    assert queue_ids(assessor, Purpose.POST) == [new.pk]
    assert queue_ids(assessor, Purpose.BASELINE) == [old.pk]


def test_a_newer_submission_of_the_same_purpose_takes_the_place_of_the_older(assessor, enterprise):
    submitted(enterprise, Purpose.BASELINE, hours_ago=3)
    newer = submitted(enterprise, Purpose.BASELINE, hours_ago=1)
    post = submitted(enterprise, Purpose.POST, hours_ago=2)
    assert queue_ids(assessor) == [newer.pk, post.pk]


def test_leaves_the_queue_once_an_onsite_of_its_purpose_is_confirmed_after_submission(
    assessor, enterprise
):
    waiting = submitted(enterprise, Purpose.BASELINE, hours_ago=2)
    # Confirmed before the submission, or for the other purpose: still waiting.
    onsite(
        enterprise,
        Purpose.BASELINE,
        confirmed=True,
        confirmed_at=timezone.now() - dt.timedelta(hours=3),
    )
    onsite(enterprise, Purpose.POST, confirmed=True, confirmed_at=timezone.now())
    draft = onsite(enterprise, Purpose.BASELINE, complete=True)
    row = selectors.onsite_queue_visible_to(user=assessor).get()
    assert row.pk == waiting.pk and row.onsite_draft_id == draft.pk  # 评定中

    services.assessment_confirm(actor=assessor, assessment_id=draft.pk)
    assert queue_ids(assessor) == []


def test_only_assessors_have_a_queue(city_official, ministry_user, enterprise_user, enterprise):
    submitted(enterprise)
    for user in (city_official, ministry_user, enterprise_user):
        assert queue_ids(user) == []


# --- the queue page -----------------------------------------------------------------------------


def test_queue_page_rows_and_actions(client, assessor, enterprise, sub_industry):
    waiting = submitted(enterprise, Purpose.POST)
    other = EnterpriseFactory(sub_industry=sub_industry)
    in_progress = submitted(other, Purpose.BASELINE, hours_ago=1)
    draft = onsite(other, Purpose.BASELINE)
    client.force_login(assessor)

    body = client.get(QUEUE).content.decode()

    row = re.search(
        rf'<tr data-uscc="{enterprise.uscc}" data-id="{waiting.pk}">(.*?)</tr>', body, re.S
    )
    assert row, body
    cells = row.group(1)
    for text in (enterprise.name, enterprise.uscc, "特色食品", "改造后", "二级 · 44.975 分"):
        assert text in cells
    assert timezone.localtime(waiting.submitted_at).strftime("%Y-%m-%d %H:%M") in cells
    # The start form preselects the self-assessment's purpose.
    assert '<option value="post" selected>' in cells and "开始现场评定" in cells
    row = re.search(rf'data-id="{in_progress.pk}">(.*?)</tr>', body, re.S)
    assert row and "评定中" in row.group(1)
    assert f'href="/assessments/{draft.pk}/">继续评定</a>' in row.group(1)
    assert "开始现场评定" not in row.group(1)
    # Newest submission first.
    assert body.index(f'data-id="{waiting.pk}"') < body.index(f'data-id="{in_progress.pk}"')
    # The navigation links the queue with its count.
    assert re.search(r'id="nav-queue">待评定 <span [^>]*id="nav-queue-count">2</span>', body)


def test_queue_page_filters_by_purpose_and_refuses_an_unknown_one(client, assessor, enterprise):
    baseline = submitted(enterprise, Purpose.BASELINE, hours_ago=1)
    post = submitted(enterprise, Purpose.POST)
    client.force_login(assessor)
    body = client.get(QUEUE, {"purpose": "baseline"}).content.decode()
    assert f'data-id="{baseline.pk}"' in body and f'data-id="{post.pk}"' not in body

    bad = client.get(QUEUE, {"purpose": "self_check"})
    assert bad.status_code == 400
    assert "评定目的：请选择改造前或改造后。" in bad.content.decode()


def test_queue_page_is_paginated(client, assessor, sub_industry):
    for enterprise in EnterpriseFactory.create_batch(51, sub_industry=sub_industry):
        submitted(enterprise)
    client.force_login(assessor)
    first = client.get(QUEUE).content.decode()
    assert first.count("<tr data-uscc=") == 50 and "第 1 / 2 页" in first
    second = client.get(QUEUE, {"page": "2"}).content.decode()
    assert second.count("<tr data-uscc=") == 1


@pytest.mark.parametrize("n", [3, 30])
def test_queue_page_queries_do_not_grow(
    client, assessor, sub_industry, django_assert_max_num_queries, n
):
    for i, enterprise in enumerate(EnterpriseFactory.create_batch(n, sub_industry=sub_industry)):
        submitted(enterprise, Purpose.BASELINE if i % 2 else Purpose.POST)
        if i % 3 == 0:
            onsite(enterprise, Purpose.BASELINE if i % 2 else Purpose.POST)
    client.force_login(assessor)
    # session, user, the user's city (heading, navigation), the page's count and rows, and
    # the navigation's 待评定 and 待办 counts and its unread notifications (the bell)
    with django_assert_max_num_queries(8):
        response = client.get(QUEUE)
    body = response.content.decode()
    assert body.count("<tr data-uscc=") == n
    assert body.count("评定中") == len(range(0, n, 3))


def test_no_queue_count_in_the_navigation_of_other_roles(client, city_official, enterprise):
    submitted(enterprise)
    client.force_login(city_official)
    body = client.get(f"/cities/{enterprise.city.code}/").content.decode()
    assert "nav-queue" not in body


# --- starting: the purpose and the prefill come from the self-assessment ------------------------


def test_onsite_is_prefilled_from_the_latest_self_assessment_of_its_purpose(
    client, assessor, enterprise
):
    baseline = submitted(enterprise, Purpose.BASELINE, hours_ago=2)
    submitted(enterprise, Purpose.POST, document=None, answers={"Q1": ["A"]}, level=0)
    client.force_login(assessor)
    client.post(f"/assessments/assessor/{enterprise.uscc}/start/", {"purpose": "baseline"})
    created = Assessment.objects.get(method=Method.ONSITE)
    assert created.purpose == Purpose.BASELINE
    assert created.based_on == baseline and created.answers == baseline.answers


def test_onsite_without_a_self_assessment_of_its_purpose_says_so(client, assessor, enterprise):
    submitted(enterprise, Purpose.BASELINE)
    client.force_login(assessor)
    response = client.post(
        f"/assessments/assessor/{enterprise.uscc}/start/", {"purpose": "post"}, follow=True
    )
    created = Assessment.objects.get(method=Method.ONSITE)
    assert created.based_on is None and created.answers == {}
    body = response.content.decode()
    assert "该企业没有已提交的改造后自评，答案未预填" in body
    assert 'id="not-prefilled">没有可预填的企业改造后自评，答案未预填' in body


def test_the_review_box_preselects_the_purpose_of_the_self_assessment(client, assessor, enterprise):
    post = submitted(enterprise, Purpose.POST)
    client.force_login(assessor)
    body = client.get(f"/assessments/{post.pk}/result/").content.decode()
    box = body.split('class="assessor-review"')[1]
    assert '<option value="post" selected>' in box
    assert '<option value="baseline" selected>' not in box


# --- the confirmation preview -------------------------------------------------------------------


def preview_url(assessment):
    return f"/assessments/{assessment.pk}/confirm/preview/"


def started_from(client, enterprise, purpose=Purpose.BASELINE):
    client.post(f"/assessments/assessor/{enterprise.uscc}/start/", {"purpose": purpose})
    return Assessment.objects.filter(method=Method.ONSITE).latest("id")


def test_preview_shows_the_result_and_writes_nothing(client, assessor, enterprise):
    submitted(enterprise)
    client.force_login(assessor)
    draft = started_from(client, enterprise)
    before = Assessment.objects.filter(pk=draft.pk).values().get()

    body = client.get(preview_url(draft)).content.decode()

    assert 'id="preview-level">二级（规范级）<' in body and 'id="preview-total">44.975<' in body
    assert "preview-warnings" not in body  # the same as the self-assessment, nothing lowered
    assert f'name="edit_version" value="{draft.edit_version}"' in body
    assert Assessment.objects.filter(pk=draft.pk).values().get() == before


def test_preview_warns_when_the_result_differs_and_lowers_the_current_level(
    client, assessor, enterprise
):
    confirmed_level(enterprise, 2, days_ago=30)
    submitted(enterprise)
    client.force_login(assessor)
    draft = started_from(client, enterprise)
    services.assessment_autosave(
        actor=assessor, assessment_id=draft.pk, field_name="Q5", value="A", base_version=0
    )

    body = client.get(preview_url(draft)).content.decode()

    assert 'id="preview-level">一级（初始级）<' in body and 'id="preview-total">39.975<' in body
    differs = re.search(r'id="warn-differs">(.*?)</p>', body)
    assert differs and "企业自评 二级 · 44.975 分，现场评定 一级 · 39.975 分" in differs.group(1)
    lowers = re.search(r'id="warn-lowers">(.*?)</p>', body)
    assert lowers and "由二级降为一级" in lowers.group(1)


def test_preview_of_an_incomplete_onsite_links_each_missing_item(client, assessor, enterprise):
    draft = onsite(enterprise, Purpose.POST, answers={"Q1": ["B"]})
    client.force_login(assessor)
    body = client.get(preview_url(draft)).content.decode()
    assert "还有 30 项未填写" in body and 'id="confirm-form"' not in body
    assert f'href="/assessments/{draft.pk}/#q-Q2">Q2 ' in body
    assert f'href="/assessments/{draft.pk}/#s-S16">S16 ' in body


def test_preview_of_an_inconsistent_onsite_links_each_error(client, assessor, enterprise):
    draft = onsite(enterprise, complete=True)
    draft.answers["Q2"] = "A"  # 30 of 120 machines digital is 25 %, not 0-10 %
    draft.save()
    client.force_login(assessor)
    body = client.get(preview_url(draft)).content.decode()
    assert 'id="invalid"' in body and 'id="confirm-form"' not in body
    item = re.search(rf'<a href="/assessments/{draft.pk}/#q-Q2">Q2 [^<]*</a>：([^<]*)</li>', body)
    assert item and "应选 C" in item.group(1)


def test_confirm_of_an_incomplete_onsite_goes_to_the_linked_list(client, assessor, enterprise):
    draft = onsite(enterprise, Purpose.POST)
    client.force_login(assessor)
    response = client.post(f"/assessments/{draft.pk}/confirm/", {"edit_version": "0"})
    assert response["Location"] == preview_url(draft)
    body = client.get(response["Location"]).content.decode()
    assert "还有 31 项未填写" in body and f'href="/assessments/{draft.pk}/#q-Q1">' in body
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


def test_confirm_is_the_second_step(client, assessor, enterprise):
    submitted(enterprise)
    client.force_login(assessor)
    draft = started_from(client, enterprise)
    questionnaire = client.get(f"/assessments/{draft.pk}/").content.decode()
    assert (
        f'href="{preview_url(draft)}" id="confirm-preview-link">确认评定结果</a>' in questionnaire
    )
    assert 'id="confirm-form"' not in questionnaire

    # Without the preview's version: sent to the preview, nothing confirmed.
    response = client.post(f"/assessments/{draft.pk}/confirm/")
    assert response["Location"] == preview_url(draft)
    draft.refresh_from_db()
    assert draft.state == State.DRAFT

    response = client.post(f"/assessments/{draft.pk}/confirm/", {"edit_version": "0"})
    assert response["Location"] == f"/assessments/{draft.pk}/result/"
    draft.refresh_from_db()
    assert draft.state == State.CONFIRMED and draft.level == 2
    # A double submit lands on the result, still confirmed once.
    again = client.post(f"/assessments/{draft.pk}/confirm/", {"edit_version": "0"}, follow=True)
    assert again.redirect_chain[-1][0] == f"/assessments/{draft.pk}/result/"
    assert "该评定结果已经确认。" in again.content.decode()
    assert draft.history.filter(history_change_reason="现场评定确认").count() == 1
    # And the preview of a confirmed result is the result.
    assert client.get(preview_url(draft))["Location"] == f"/assessments/{draft.pk}/result/"


def test_a_change_after_the_preview_is_not_confirmed_unseen(client, assessor, enterprise):
    submitted(enterprise)
    client.force_login(assessor)
    draft = started_from(client, enterprise)
    client.get(preview_url(draft))  # shows edit_version 0
    services.assessment_autosave(
        actor=assessor, assessment_id=draft.pk, field_name="Q5", value="A", base_version=0
    )
    response = client.post(f"/assessments/{draft.pk}/confirm/", {"edit_version": "0"}, follow=True)
    assert response.redirect_chain[-1][0] == preview_url(draft)
    assert "预览之后评定内容又有修改" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


def test_only_the_citys_assessor_sees_the_preview(
    client, enterprise_user, city_official, assessor, enterprise
):
    draft = onsite(enterprise, complete=True)
    for user in (enterprise_user, city_official):
        client.force_login(user)
        assert client.get(preview_url(draft)).status_code == 404
    own = submitted(enterprise)
    client.force_login(assessor)
    assert client.get(preview_url(own)).status_code == 404  # a self-assessment is not confirmed


def test_a_self_assessment_is_not_confirmed_from_the_page(client, assessor, enterprise):
    own = submitted(enterprise)
    client.force_login(assessor)
    response = client.post(f"/assessments/{own.pk}/confirm/", follow=True)
    assert response.redirect_chain[-1][0] == f"/assessments/{own.pk}/"
    assert "自评不能直接确认" in response.content.decode()
    own.refresh_from_db()
    assert own.state == State.SUBMITTED


def test_confirm_preview_service_matches_what_confirm_stores(assessor, enterprise):
    draft = onsite(enterprise, complete=True)
    preview = services.confirm_preview(actor=assessor, assessment_id=draft.pk)
    assert preview.result is not None and preview.completeness.complete
    confirmed = services.assessment_confirm(
        actor=assessor, assessment_id=draft.pk, previewed_version=draft.edit_version
    )
    assert (confirmed.level, confirmed.total_score) == (preview.result.level, preview.result.total)


# --- labels end with "：" on the assessor's pages -----------------------------------------------


def test_assessor_page_labels_and_terms_end_with_a_chinese_colon(client, assessor, enterprise):
    own = submitted(enterprise)
    draft = onsite(enterprise, complete=True, based_on=own)
    client.force_login(assessor)
    for url in (
        QUEUE,
        "/assessments/assessor/",
        f"/assessments/{own.pk}/result/",
        f"/assessments/{own.pk}/return/",
        preview_url(draft),
    ):
        page = client.get(url).content.decode()
        labels = re.findall(r'<label for="[^"]*">([^<]*)</label>', page)
        labels += re.findall(r"<dt>([^<]*)</dt>", page)
        assert labels, url
        assert all(label.strip().endswith("：") for label in labels), (url, labels)


# --- the API's queue ----------------------------------------------------------------------------

API_QUEUE = "/api/v1/assessments/queue/"


def test_api_queue_is_the_pages_queue(client, assessor, enterprise, sub_industry):
    older = submitted(enterprise, Purpose.BASELINE, hours_ago=2)
    other = EnterpriseFactory(sub_industry=sub_industry)
    newer = submitted(other, Purpose.POST, hours_ago=1)
    draft = onsite(other, Purpose.POST)
    submitted(enterprise, Purpose.SELF_CHECK)
    client.force_login(assessor)

    body = client.get(API_QUEUE).json()

    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    first = body["results"][0]
    assert first["enterprise"] == other.uscc and first["sub_industry"] == "特色食品"
    assert (first["purpose"], first["level"], first["total_score"]) == ("post", 2, "44.975")
    assert first["onsite_draft"] == draft.pk and body["results"][1]["onsite_draft"] is None
    only = client.get(API_QUEUE, {"purpose": "baseline"}).json()
    assert [row["id"] for row in only["results"]] == [older.pk]
    # Page by page, in the same order.
    first_page = client.get(API_QUEUE, {"page_size": "1"}).json()
    assert [row["id"] for row in first_page["results"]] == [newer.pk]
    second_page = client.get(first_page["next"]).json()
    assert [row["id"] for row in second_page["results"]] == [older.pk]
    assert second_page["next"] is None


def test_api_queue_refuses_an_unknown_purpose_and_other_roles(
    client, assessor, city_official, enterprise
):
    client.force_login(assessor)
    bad = client.get(API_QUEUE, {"purpose": "self_check"})
    assert bad.status_code == 400 and "评定目的" in bad.json()["purpose"][0]
    client.force_login(city_official)
    assert client.get(API_QUEUE).status_code == 404


@pytest.mark.parametrize("n", [3, 30])
def test_api_queue_queries_do_not_grow(
    client, assessor, sub_industry, django_assert_max_num_queries, n
):
    for enterprise in EnterpriseFactory.create_batch(n, sub_industry=sub_industry):
        submitted(enterprise)
    client.force_login(assessor)
    with django_assert_max_num_queries(3):  # session, user, the rows
        response = client.get(API_QUEUE)
    assert len(response.json()["results"]) == n
