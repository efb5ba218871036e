"""Issue 13, in a real browser: one project from application to paid subsidy across the roles —
the enterprise, the district official, the city official, the provider and the assessor each work
from their own 待办 and the move pages — ending with the funnel on the city dashboard showing it.

Two things are set up directly instead of through their own pages (tested in their own browser
tests): the enterprise's submitted post self-assessment and the assessor's confirmed on-site post
assessment (tests/e2e/test_assessment_flow.py, test_assessor_queue.py).
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
from projects.models import Project, SubsidyRule
from tests.assessments.factories import AssessmentFactory
from tests.cities.factories import (
    CityFactory,
    DistrictFactory,
    EnterpriseFactory,
    SubIndustryFactory,
    UserFactory,
)
from tests.e2e.conftest import login
from tests.providers.factories import LibraryEntryFactory, ProviderFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Sme-pilot-2026!"
PHONE = {"width": 390, "height": 844}
PDF = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n% pipeline flow\n%%EOF\n"
)


@pytest.fixture
def pilot(db):
    city = CityFactory(code="PLF", name="流程测试市")
    district = DistrictFactory(city=city, code="PD1", name="流程区")
    firm = EnterpriseFactory(
        sub_industry=SubIndustryFactory(city=city, code="PF1", name="装备"),
        district=district,
        name="流程智造有限公司",
    )
    provider = ProviderFactory(name="流程数字科技有限公司")
    LibraryEntryFactory(city=city, provider=provider)
    SubsidyRule.objects.create(
        city=city,
        valid_from=dt.date(2024, 1, 1),
        rate=Decimal("0.4"),
        cap_l2=Decimal(300000),
        cap_l3=Decimal(400000),
        cap_l4=Decimal(500000),
    )
    users = {
        "ent": UserFactory(username="plf_ent", role=Role.ENTERPRISE, enterprise=firm),
        "dst": UserFactory(
            username="plf_dst", role=Role.DISTRICT_OFFICIAL, city=city, district=district
        ),
        "off": UserFactory(username="plf_off", role=Role.CITY_OFFICIAL, city=city),
        "prv": UserFactory(username="plf_prv", role=Role.PROVIDER, provider=provider),
        "asr": UserFactory(username="plf_asr", role=Role.ASSESSOR, city=city),
    }
    return city, firm, provider, users


def test_one_project_from_application_to_paid_subsidy(
    live_server, browser, pilot, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    city, firm, provider, users = pilot
    pdf = tmp_path / "材料.pdf"
    pdf.write_bytes(PDF)
    pages = {}
    for key, user in users.items():
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE)
        context.set_default_timeout(15_000)
        pages[key] = context.new_page()
        login(pages[key], live_server, user.username, PASSWORD)
    ent, dst, off, prv, asr = (pages[k] for k in ("ent", "dst", "off", "prv", "asr"))
    url = live_server.url
    cache.clear()
    off.goto(f"{url}/cities/{city.code}/dashboard/")  # the funnel is cached from here on
    expect(off.locator('#funnel-stages tr[data-stage="applied"] td.reached')).to_have_text("0")

    def act(page, queue: str) -> None:
        """Open 待办, then the first 办理 of one queue."""
        page.goto(f"{url}/projects/queue/")
        page.locator(f"#queue-{queue} a.button.primary").first.click()
        page.wait_for_selector("#move-form")

    def submit(page) -> None:
        page.locator("#move-form button[type=submit]").click()
        expect(page.locator(".messages")).to_contain_text("已")

    def upload(page, doc_type: str) -> None:
        project = Project.objects.get(enterprise=firm)
        page.goto(f"{url}/projects/{project.pk}/#documents")
        page.select_option("#id_doc_type", doc_type)
        page.set_input_files("#id_file", str(pdf))
        page.locator("#document-upload button[type=submit]").click()
        expect(page.locator(".messages")).to_contain_text("材料已上传")

    # 1 the enterprise lands on 待办 and applies with its declaration
    ent.goto(f"{url}/")
    ent.locator("#queue-enterprise a.button.primary").click()
    for box in ent.locator("#apply-form input[type=checkbox]").all():
        box.check()
    ent.locator("#apply-form button[type=submit]").click()
    expect(ent.locator(".messages")).to_contain_text("已提交申报")

    # 2 district first review, city admission naming the provider to diagnose
    dst.goto(f"{url}/")
    expect(dst.locator("#nav-work-queue-count")).to_have_text("1")
    act(dst, "review_applications")
    submit(dst)
    act(off, "admit")
    off.select_option("#id_diagnosis_provider", str(provider.pk))
    submit(off)

    # 3 the provider uploads the diagnosis report and records the diagnosis
    upload(prv, "diagnosis_report")
    act(prv, "provider_diagnose")
    prv.locator("#move-form input[name=scenes]").first.check()
    submit(prv)

    # 4-5 the enterprise picks the provider and files its contract; the city approves
    act(ent, "select_provider")
    expect(ent.locator("#move-library")).to_contain_text(provider.name)
    ent.select_option("#id_provider", str(provider.pk))
    submit(ent)
    upload(ent, "contract")
    act(ent, "file_contract")
    today = timezone.localdate()
    ent.fill("#id_contract_no", "PLF-2026-01")
    ent.fill("#id_signed_on", today.isoformat())
    ent.fill("#id_contract_amount", "500000")
    ent.fill("#id_planned_completion_on", (today + dt.timedelta(days=90)).isoformat())
    ent.fill("#id_software", "300000")
    ent.fill("#id_data_hardware", "100000")
    submit(ent)
    act(off, "filings")
    submit(off)

    # 6-7 completion, the acceptance documents and application with the provider's rating
    ent.goto(f"{url}/projects/queue/")
    ent.locator("#queue-complete a.button.primary").click()
    submit(ent)
    for doc_type in ("invoice", "payment_proof", "summary"):
        upload(ent, doc_type)
    AssessmentFactory(enterprise=firm, purpose=Purpose.POST, submitted=True)
    act(ent, "apply_acceptance")
    expect(ent.locator("#move-post-assessment")).to_contain_text("已提交")
    ent.locator("#move-form input[name=satisfaction][value='5']").check()
    submit(ent)
    act(dst, "review_acceptances")
    submit(dst)
    act(off, "schedule")
    submit(off)

    # 8 the assessor sees the scheduled visit; its confirmed on-site post assessment gives level 3
    asr.goto(f"{url}/projects/queue/")
    expect(asr.locator("#queue-onsite_acceptance")).to_contain_text(firm.name)
    AssessmentFactory(
        enterprise=firm,
        purpose=Purpose.POST,
        method=Method.ONSITE,
        state=State.CONFIRMED,
        level=3,
        revision=None,
        confirmed_at=timezone.now(),
    )
    act(off, "record_acceptance")
    expect(off.locator("#move-after-level")).to_have_text("3 级")
    for box in off.locator("#move-form input[type=checkbox]").all():
        box.check()
    submit(off)

    # 9-10 the subsidy: above the entitlement is refused on the page, then approved and paid
    act(off, "approve_subsidy")
    expect(off.locator("#move-entitlement-amount")).to_have_text("160000.00")
    off.fill("#id_central", "120000")
    off.fill("#id_local", "40000.01")
    off.locator("#move-form button[type=submit]").click()
    expect(off.locator(".field-error").first).to_contain_text("超过该项目按奖补政策可获得的上限")
    off.fill("#id_local", "40000")
    submit(off)
    act(off, "pay_subsidy")
    expect(off.locator("#id_central")).to_have_value("120000.00")
    off.fill("#id_reference", "PZ-001")
    submit(off)

    project = Project.objects.get(enterprise=firm)
    assert project.subsidy_paid_on == today
    assert project.events.count() == 14  # every move, each once
    expect(off.locator("#project-events")).to_contain_text("拨付奖补")

    # the dashboard's funnel (its cache invalidated by every move) shows the paid project
    off.goto(f"{url}/cities/{city.code}/dashboard/")
    for stage in ("applied", "accepted", "subsidy_paid"):
        cell = off.locator(f'#funnel-stages tr[data-stage="{stage}"] td.reached')
        expect(cell).to_have_text("1")
