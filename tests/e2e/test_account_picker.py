"""Issue 12, in a real browser: a city official finds an enterprise by name in the account
page's search box and picks it; without JavaScript, typing the USCC works."""

from __future__ import annotations

import pytest

from accounts.models import Role, User
from tests.cities.factories import EnterpriseFactory, SubIndustryFactory, UserFactory
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Sme-pilot-2026!"


def _seed(city, sub_industry, other_city):  # type: ignore[no-untyped-def]
    UserFactory(username="hhht_official", role=Role.CITY_OFFICIAL, city=city)
    wanted = EnterpriseFactory(sub_industry=sub_industry, name="青城乳业科技有限公司")
    EnterpriseFactory(sub_industry=sub_industry, name="青城乳业包装有限公司")
    EnterpriseFactory(sub_industry=sub_industry, name="呼市机械制造有限公司")
    EnterpriseFactory(sub_industry=SubIndustryFactory(city=other_city), name="宁波乳业有限公司")
    return wanted


def test_the_official_searches_picks_and_creates_the_account(
    live_server, page, city, sub_industry, other_city
):
    wanted = _seed(city, sub_industry, other_city)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, "hhht_official", PASSWORD)
    page.goto(f"{live_server.url}/accounts/new/")
    search = page.locator("#enterprise-search")
    search.wait_for(state="visible")
    search.fill("乳业")
    picks = page.locator("#enterprise-results button.pick")
    picks.first.wait_for()
    names = picks.all_inner_texts()
    assert len(names) == 2 and all("青城乳业" in n for n in names), names  # own city only
    page.locator(f'#enterprise-results button.pick[data-uscc="{wanted.uscc}"]').click()
    assert page.locator("#id_enterprise").input_value() == wanted.uscc
    assert page.locator("#enterprise-picked").inner_text() == (
        f"已选择：青城乳业科技有限公司（{wanted.uscc}）"
    )
    page.get_by_role("button", name="开通并生成初始密码").click()
    page.wait_for_load_state("domcontentloaded")
    assert "只显示这一次" in page.content()
    assert User.objects.get(enterprise=wanted).username == wanted.uscc


def test_without_javascript_the_uscc_is_typed(live_server, browser, city, sub_industry, other_city):
    wanted = _seed(city, sub_industry, other_city)
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    context.set_default_timeout(15_000)
    page = context.new_page()
    login(page, live_server, "hhht_official", PASSWORD)
    page.goto(f"{live_server.url}/accounts/new/")
    assert not page.locator("#enterprise-search").is_visible()
    page.fill("#id_enterprise", wanted.uscc)
    page.get_by_role("button", name="开通并生成初始密码").click()
    page.wait_for_load_state("domcontentloaded")
    assert "只显示这一次" in page.content()
    assert User.objects.get(enterprise=wanted).username == wanted.uscc
    context.close()
