"""Issue 14, in a real browser: a city official records a central receipt on the 资金台账, approves
and pays a subsidy, and sees the gauges move; an expense over the other-uses limit is refused
with the figures and writes nothing; an enterprise picks its provider from the directory.

The accepted project (with its confirmed on-site after-level) is set up directly: its way there
is the pipeline's own browser test (tests/e2e/test_pipeline_flow.py).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from assessments.choices import Method, Purpose, State
from funds.models import LedgerEntry
from projects.models import InvestmentLine, Project, SubsidyRule
from tests.assessments.factories import AssessmentFactory
from tests.cities.factories import CityFactory, EnterpriseFactory, SubIndustryFactory, UserFactory
from tests.e2e.conftest import login
from tests.providers.factories import LibraryEntryFactory, ProductFactory, ProviderFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Sme-pilot-2026!"
PHONE = {"width": 390, "height": 844}
STAGES = (
    "applied",
    "admitted",
    "diagnosed",
    "provider_selected",
    "contract_filed",
    "completed",
    "acceptance_applied",
    "accepted",
)


@pytest.fixture
def pilot(db):
    city = CityFactory(code="FDF", name="资金测试市")
    sector = SubIndustryFactory(city=city, code="FD1", name="装备")
    provider = ProviderFactory(name="资金数字科技有限公司")
    LibraryEntryFactory(city=city, provider=provider)
    ProductFactory(provider=provider, name="设备联网", scenes=["S03"])
    other = ProviderFactory(name="另一家服务商有限公司")
    LibraryEntryFactory(city=city, provider=other)
    ProductFactory(provider=other, name="财务云", scenes=["S12"])
    SubsidyRule.objects.create(
        city=city,
        valid_from=dt.date(2024, 1, 1),
        rate=Decimal("0.4"),
        cap_l2=Decimal(300000),
        cap_l3=Decimal(400000),
        cap_l4=Decimal(500000),
    )
    today = timezone.localdate()
    start = today - dt.timedelta(days=60)
    accepted_firm = EnterpriseFactory(sub_industry=sector, name="验收智造有限公司")
    accepted = Project.objects.create(
        enterprise=accepted_firm,
        provider=provider,
        contract_no="FDF-01",
        contract_amount=Decimal(500000),
        planned_completion_on=today,
        satisfaction=5,
        **{f"{s}_on": start + dt.timedelta(days=5 * i) for i, s in enumerate(STAGES[:-1])},
        accepted_on=today,
    )
    InvestmentLine.objects.create(project=accepted, category="software", amount=300000)
    InvestmentLine.objects.create(project=accepted, category="data_hardware", amount=100000)
    AssessmentFactory(
        enterprise=accepted_firm,
        purpose=Purpose.POST,
        method=Method.ONSITE,
        state=State.CONFIRMED,
        level=3,
        revision=None,
        confirmed_at=timezone.now(),
    )
    picking_firm = EnterpriseFactory(sub_industry=sector, name="选商制造有限公司")
    picking = Project.objects.create(
        enterprise=picking_firm,
        **{f"{s}_on": start + dt.timedelta(days=i) for i, s in enumerate(STAGES[:3])},
    )
    users = {
        "off": UserFactory(username="fdf_off", role=Role.CITY_OFFICIAL, city=city),
        "ent": UserFactory(username="fdf_ent", role=Role.ENTERPRISE, enterprise=picking_firm),
    }
    return city, accepted, picking, provider, other, users


def test_funds_move_with_the_pipeline_and_the_limit_holds(live_server, browser, pilot):
    city, accepted, picking, provider, other, users = pilot
    pages = {}
    for key, user in users.items():
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE)
        context.set_default_timeout(15_000)
        pages[key] = context.new_page()
        login(pages[key], live_server, user.username, PASSWORD)
    off, ent = pages["off"], pages["ent"]
    url = live_server.url
    today = timezone.localdate().isoformat()
    cache.clear()
    ledger = f"{url}/funds/{city.code}/"

    def book(kind: str, category: str, amount: str, reference: str) -> None:
        off.goto(ledger)
        off.fill("#id_entry_on", today)
        off.select_option("#id_kind", kind)
        off.select_option("#id_source", "central")
        off.select_option("#id_category", category)
        off.fill("#id_amount", amount)
        off.fill("#id_reference", reference)
        off.locator("#entry-form button[type=submit]").click()

    # a central receipt: the cap gauge moves
    off.goto(ledger)
    expect(off.locator("#gauge-cap strong")).to_have_text("0.00")
    expect(off.locator("#gauge-transformation strong")).to_have_text("—")
    book("receipt", "", "1000000", "ZY-001")
    expect(off.locator(".messages")).to_contain_text("已入账")
    expect(off.locator("#gauge-cap strong")).to_have_text("100.00")
    expect(off.locator("#gauge-transformation strong")).to_have_text("0.00%")

    # approve (entitlement 40% of 400,000 eligible = 160,000) and pay the subsidy
    off.goto(f"{url}/projects/{accepted.pk}/move/approve_subsidy/")
    expect(off.locator("#move-entitlement-amount")).to_have_text("160000.00")
    off.fill("#id_central", "120000")
    off.fill("#id_local", "40000")
    off.locator("#move-form button[type=submit]").click()
    expect(off.locator(".messages")).to_contain_text("已")
    off.goto(f"{url}/projects/{accepted.pk}/move/pay_subsidy/")
    off.fill("#id_reference", "PZ-001")
    off.locator("#move-form button[type=submit]").click()
    expect(off.locator(".messages")).to_contain_text("已")

    # the paid subsidy is transformation spending of each source, without typing it again
    off.goto(ledger)
    expect(off.locator("#gauge-transformation strong")).to_have_text("12.00%")
    expect(off.locator("#funds-summary")).to_contain_text("已拨付 1 项、16.00 万元")

    # one other-uses expense within the 20% limit, then one that would break it
    book("expense", "platform", "150000", "ZC-001")
    expect(off.locator(".messages")).to_contain_text("已入账")
    expect(off.locator("#gauge-other strong")).to_have_text("15.00%")
    book("expense", "platform", "100000", "ZC-002")
    errors = off.locator("#entry-errors")
    expect(errors).to_contain_text("超过中央资金其他用途上限")
    expect(errors).to_contain_text("100.00 万元（1,000,000.00 元）")
    expect(errors).to_contain_text("25.00 万元（250,000.00 元）")
    expect(errors).to_contain_text("20.00 万元（200,000.00 元）")
    assert list(LedgerEntry.objects.order_by("id").values_list("reference", flat=True)) == [
        "ZY-001",
        "ZC-001",
    ]
    off.goto(ledger)
    expect(off.locator("#gauge-other strong")).to_have_text("15.00%")

    # the enterprise filters the directory by scene and picks its provider there
    ent.goto(f"{url}/")
    ent.locator("summary.menu-button").click()  # the phone's folded navigation
    ent.locator("#nav-providers").click()
    expect(ent.locator("#pick-hint")).to_be_visible()
    ent.select_option("#f-scene", "S03")
    ent.locator("#directory-filters button[type=submit]").click()
    card = ent.locator(f'section.directory-entry[data-uscc="{provider.uscc}"]')
    expect(card).to_contain_text("设备联网")
    expect(ent.locator(f'section.directory-entry[data-uscc="{other.uscc}"]')).to_have_count(0)
    card.locator("form.pick button").click()
    expect(ent.locator(".messages")).to_contain_text("已选择服务商")
    picking.refresh_from_db()
    assert picking.provider_id == provider.pk
