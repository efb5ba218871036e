"""An enterprise fills in its self-assessment in a real browser (every answer through the page's
autosave), reloads, submits with the pledge and sees its level; the city's assessor starts an
on-site assessment from it, confirms it, and the roster shows the new current level.

Autosaves are awaited by their responses (`expect_response`), never by sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from assessments.models import Assessment, Method, State
from tests.assessments.factories import complete_answers
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Sme-pilot-2026!"


@contextmanager
def saved(page: Page, field: str) -> Iterator[None]:
    """Do something that autosaves `field`, and wait until the server has answered 200."""
    marker = urlencode({"field": field})
    with page.expect_response(
        lambda r: "/autosave/" in r.url and marker in (r.request.post_data or "")
    ) as info:
        yield
    assert info.value.status == 200, info.value.text()


def answer(page: Page, code: str, value: object) -> None:
    for option in value if isinstance(value, list) else [value]:
        with saved(page, code):
            page.check(f'input[name="{code}"][value="{option}"]')


def roster_level(page: Page, live_server, uscc: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/cities/HHHT/enterprises/")
    return page.locator(f'tr[data-uscc="{uscc}"] td.current-level').inner_text().strip()


def test_self_assessment_to_confirmed_level(live_server, page, enterprise_user, assessor):
    enterprise = enterprise_user.enterprise
    answers, scenes, data = complete_answers()

    # --- the enterprise starts a baseline self-assessment and answers part of it
    login(page, live_server, enterprise_user.username, PASSWORD)
    page.goto(f"{live_server.url}/assessments/")
    page.select_option("select[name=purpose]", "baseline")
    page.get_by_role("button", name="新建自评").click()
    page.locator("#q-Q1").wait_for()
    draft = Assessment.objects.get(enterprise=enterprise)
    assert page.url.endswith(f"/assessments/{draft.pk}/")

    # "无" excludes the other options in the page as well as on the server.
    answer(page, "Q1", ["B", "D"])
    answer(page, "Q1", "A")
    expect(page.locator('input[name="Q1"][value="B"]')).not_to_be_checked()
    expect(page.locator('input[name="Q1"][value="D"]')).not_to_be_checked()
    answer(page, "Q1", answers["Q1"])
    expect(page.locator('input[name="Q1"][value="A"]')).not_to_be_checked()
    answer(page, "Q2", answers["Q2"])
    answer(page, "S01", scenes["S01"])
    with saved(page, "data:equipment_total"):
        page.fill('input[name="data:equipment_total"]', str(data["equipment_total"]))
    expect(page.locator("#save-status")).to_contain_text("已保存")
    expect(page.locator("#progress-text")).to_have_text("已答 3 / 31")

    page.reload()
    for option in ("B", "D"):
        expect(page.locator(f'input[name="Q1"][value="{option}"]')).to_be_checked()
    expect(page.locator('input[name="Q1"][value="A"]')).not_to_be_checked()
    expect(page.locator('input[name="Q2"][value="C"]')).to_be_checked()
    expect(page.locator('input[name="S01"][value="2"]')).to_be_checked()
    expect(page.locator('input[name="data:equipment_total"]')).to_have_value("120")
    expect(page.locator("#progress-text")).to_have_text("已答 3 / 31")

    # --- and finishes it
    for code, value in answers.items():
        if code not in ("Q1", "Q2"):
            answer(page, code, value)
    for code, rating in scenes.items():
        if code != "S01":
            answer(page, code, rating)
    with saved(page, "data:equipment_digital"):
        page.fill('input[name="data:equipment_digital"]', str(data["equipment_digital"]))
    expect(page.locator("#progress-text")).to_have_text("已答 31 / 31")
    expect(page.locator("#save-error")).to_be_empty()
    draft.refresh_from_db()
    assert draft.answers == answers and draft.scenes == scenes and draft.data == data

    # --- submits with the pledge and sees the level
    page.get_by_role("link", name="下一步：签署承诺并提交").click()
    expect(page.locator("#pledge-text")).to_be_visible()
    # The signer types name and title: nothing is prefilled, the labels end with "：".
    expect(page.locator("input[name=signer_name]")).to_have_value("")
    expect(page.locator("input[name=signer_title]")).to_have_value("")
    expect(page.locator("label[for=id_signer_name]")).to_have_text("承诺人姓名：")
    page.fill("input[name=signer_name]", "王经理")
    page.fill("input[name=signer_title]", "总经理")
    page.check("input[name=pledge]")
    page.get_by_role("button", name="提交评测").click()
    expect(page.locator("#result-level")).to_have_text("二级（规范级）")
    expect(page.locator("#dimension-chart svg")).to_have_count(1)  # ECharts drew the chart
    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED
    # The path to the next level: what is reached and needed, only the options still to tick.
    expect(page.locator("#next-level-short")).to_contain_text("其中约束性场景：已达")
    expect(page.locator("#next-level")).not_to_contain_text("个其中的约束性场景")
    advice = page.locator("#plan-questions td.plan-change").all_inner_texts()
    assert advice and all(a.startswith(("再勾选", "取消勾选", "改选")) for a in advice), advice

    # --- 我的报告 without any report offers this assessment's report
    page.get_by_role("link", name="我的报告").first.click()
    offer = page.locator("#report-request-assessments")
    expect(offer.locator(f'input[name=assessment_id][value="{draft.pk}"]')).to_have_count(1)

    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state("domcontentloaded")

    # --- the assessor confirms an on-site assessment prefilled from it
    login(page, live_server, assessor.username, PASSWORD)
    assert roster_level(page, live_server, enterprise.uscc) == "未评定"
    page.goto(f"{live_server.url}/assessments/assessor/")
    row = page.locator(f'tr[data-uscc="{enterprise.uscc}"]')
    row.locator("select[name=purpose]").select_option("baseline")
    row.get_by_role("button", name="开始现场评定").click()
    page.locator("#q-Q1").wait_for()
    onsite = Assessment.objects.get(enterprise=enterprise, method=Method.ONSITE)
    assert page.url.endswith(f"/assessments/{onsite.pk}/")
    for option in answers["Q1"]:
        expect(page.locator(f'input[name="Q1"][value="{option}"]')).to_be_checked()
    expect(page.locator("#progress-text")).to_have_text("已答 31 / 31")
    with saved(page, "note:Q1"):
        page.fill('textarea[name="note:Q1"]', "现场查看了网络拓扑图和车间交换机台账")

    # Confirming is two steps: the preview, then the confirmation from it.
    page.get_by_role("link", name="确认评定结果").click()
    expect(page.locator("#preview-level")).to_have_text("二级（规范级）")
    expect(page.locator("#preview-warnings")).to_have_count(0)
    page.get_by_role("button", name="确认评定结果").click()
    expect(page.locator("#result-level")).to_have_text("二级（规范级）")
    onsite.refresh_from_db()
    assert onsite.state == State.CONFIRMED and onsite.evidence_notes["Q1"].startswith("现场查看")

    assert roster_level(page, live_server, enterprise.uscc) == "二级"


def test_late_answers_and_an_expired_session_are_reported_truthfully(
    live_server, page, enterprise_user
):
    """Saves of different fields run in parallel; one that answers late must not put back the
    progress and cross-check notes of an older state. A save after the session expired says so
    instead of pretending to have saved."""
    login(page, live_server, enterprise_user.username, PASSWORD)
    page.goto(f"{live_server.url}/assessments/")
    page.get_by_role("button", name="新建自评").click()
    page.locator("#q-Q1").wait_for()
    answer(page, "Q5", "C")
    answer(page, "S02", 1)
    expect(page.locator("#progress-text")).to_have_text("已答 2 / 31")
    # What the answer to the first save looked like, arriving only now.
    page.evaluate(
        """() => htmx.swap("#save-status",
            '<span id="save-status">已保存</span>' +
            '<div id="progress-box" data-edit-version="1" hx-swap-oob="true">' +
            '<span id="progress-text">已答 1 / 31</span></div>',
            {swapStyle: "outerHTML"})"""
    )
    expect(page.locator("#progress-text")).to_have_text("已答 2 / 31")

    page.context.clear_cookies(name="sessionid")  # the CSRF cookie outlives the session
    page.check('input[name="Q8"][value="D"]')
    expect(page.locator("#save-status")).to_contain_text("登录已过期")
    expect(page.locator("#q-Q1")).to_be_visible()
