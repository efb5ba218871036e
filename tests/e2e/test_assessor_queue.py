"""The on-site assessor's day in a real browser (issue 12): the queue (待评定) in the navigation,
an on-site assessment started from a queued self-assessment (its purpose preselected, its answers
prefilled), a lowered answer, the confirmation preview that warns of it, the confirmation, and
the self-assessment leaving the queue."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments.models import Assessment, Method, Purpose, State
from tests.assessments.factories import AssessmentFactory, confirmed_level
from tests.e2e.conftest import login
from tests.e2e.test_assessment_flow import PASSWORD, answer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_assessor_works_through_the_queue(live_server, page, assessor, enterprise):
    confirmed_level(enterprise, 2, days_ago=60)  # the enterprise's current level: 二级
    own = AssessmentFactory(enterprise=enterprise, submitted=True, purpose=Purpose.POST)

    login(page, live_server, assessor.username, PASSWORD)
    expect(page.locator("#nav-queue-count")).to_have_text("1")
    page.locator("#nav-queue").click()
    row = page.locator(f'#queue-table tr[data-id="{own.pk}"]')
    expect(row).to_contain_text(enterprise.uscc)
    expect(row).to_contain_text("改造后")
    expect(row).to_contain_text("二级 · 44.975 分")
    expect(row.locator("select[name=purpose]")).to_have_value("post")  # preselected

    row.get_by_role("button", name="开始现场评定").click()
    page.locator("#q-Q1").wait_for()
    onsite = Assessment.objects.get(enterprise=enterprise, method=Method.ONSITE, state=State.DRAFT)
    assert onsite.purpose == Purpose.POST and onsite.based_on_id == own.pk
    expect(page.locator('input[name="Q5"][value="C"]')).to_be_checked()  # prefilled
    expect(page.locator("#progress-text")).to_have_text("已答 31 / 31")

    # In the queue meanwhile: 评定中, and a link back to it.
    page.locator("#nav-queue").click()
    expect(row).to_contain_text("评定中")
    row.get_by_role("link", name="继续评定").click()
    page.locator("#q-Q5").wait_for()

    answer(page, "Q5", "A")  # seen on site: lower than the enterprise said

    page.get_by_role("link", name="确认评定结果").click()
    expect(page.locator("#preview-level")).to_have_text("一级（初始级）")
    expect(page.locator("#preview-total")).to_have_text("39.975")
    expect(page.locator("#warn-differs")).to_contain_text("企业自评 二级 · 44.975 分")
    expect(page.locator("#warn-lowers")).to_contain_text("由二级降为一级")
    onsite.refresh_from_db()
    assert onsite.state == State.DRAFT  # the preview confirmed nothing

    page.get_by_role("button", name="确认评定结果").click()
    expect(page.locator("#result-level")).to_have_text("一级（初始级）")
    onsite.refresh_from_db()
    assert onsite.state == State.CONFIRMED and onsite.level == 1

    page.locator("#nav-queue").click()
    expect(page.locator("#queue-table")).to_contain_text("没有待评定的自评。")
    expect(page.locator("#nav-queue-count")).to_have_count(0)
