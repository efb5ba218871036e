"""Issue 16, in a real browser: a city official returns a contract filing; the enterprise's user
sees the bell's count rise, opens the notification, lands on the project, files the contract
again, and the official is notified in turn (the bell, then the inbox)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from projects import rules
from projects.models import Project
from projects.services import documents, pipeline
from tests.assessments.evidence_files import PDF
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


@pytest.fixture
def filed(db, settings, tmp_path):
    """A1's project with its contract filed, waiting for the city's approval."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    city = CityFactory(code="NTF", name="通知测试市")
    district = DistrictFactory(city=city, code="ND1", name="通知区")
    firm = EnterpriseFactory(
        sub_industry=SubIndustryFactory(city=city, code="NF1", name="装备"),
        district=district,
        name="通知智造有限公司",
    )
    provider = ProviderFactory(name="通知数字科技有限公司")
    LibraryEntryFactory(city=city, provider=provider)
    ent = UserFactory(username="ntf_ent", role=Role.ENTERPRISE, enterprise=firm)
    off = UserFactory(username="ntf_off", role=Role.CITY_OFFICIAL, city=city)
    project = Project.objects.create(
        enterprise=firm,
        provider=provider,
        **{rules.date_field(s): dt.date(2026, 1, 5) for s in rules.STAGES[:4]},
    )
    documents.document_add(
        actor=ent,
        project_id=project.pk,
        stage="contract_filed",
        doc_type=rules.DOC_CONTRACT,
        upload=ContentFile(PDF, name="合同.pdf"),
    )
    today = timezone.localdate()
    pipeline.file_contract(
        actor=ent,
        project_id=project.pk,
        contract=pipeline.Contract(
            contract_no="NTF-01",
            signed_on=today,
            amount="500000",
            planned_completion_on=today + dt.timedelta(days=90),
            lines={"software": "300000"},
        ),
    )
    return project, ent, off


def test_a_returned_filing_reaches_the_enterprise_and_the_fix_reaches_the_official(
    live_server, browser, filed
):
    project, ent_user, off_user = filed
    url = live_server.url
    pages = {}
    for key, user in (("ent", ent_user), ("off", off_user)):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(15_000)
        pages[key] = context.new_page()
        login(pages[key], live_server, user.username, PASSWORD)
    ent, off = pages["ent"], pages["off"]

    ent.goto(f"{url}/")
    expect(ent.locator("#nav-bell")).to_be_visible()
    expect(ent.locator("#nav-bell-count")).to_have_count(0)
    off.goto(f"{url}/")
    expect(off.locator("#nav-bell-count")).to_have_text("1")  # the first filing, to review

    # The official returns the filing with a reason.
    off.goto(f"{url}/projects/{project.pk}/")
    off.locator('a[data-move="return_filing"]').click()
    off.fill("#id_comment", "合同缺少盖章页")
    off.locator("#move-form button[type=submit]").click()
    expect(off.locator(".messages")).to_contain_text("已")

    # The enterprise's bell counts it; the inbox lists it; opening it lands on the project.
    ent.reload()
    expect(ent.locator("#nav-bell-count")).to_have_text("1")
    ent.locator("#nav-bell").click()
    row = ent.locator("#inbox tr.unread")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("合同备案被退回")
    expect(row).to_contain_text("合同缺少盖章页")
    row.locator("a.notification-link").click()
    expect(ent).to_have_url(f"{url}/projects/{project.pk}/")
    expect(ent.locator("#nav-bell-count")).to_have_count(0)  # read once opened

    # The enterprise files the contract again from the project page.
    ent.locator('a[data-move="file_contract"]').click()
    expect(ent.locator("#move-returned")).to_contain_text("合同缺少盖章页")
    today = timezone.localdate()
    ent.fill("#id_contract_no", "NTF-01-R")
    ent.fill("#id_signed_on", today.isoformat())
    ent.fill("#id_contract_amount", "500000")
    ent.fill("#id_planned_completion_on", (today + dt.timedelta(days=90)).isoformat())
    ent.fill("#id_software", "300000")
    ent.locator("#move-form button[type=submit]").click()
    expect(ent.locator(".messages")).to_contain_text("已")

    # The official is notified of the new filing, and lands on the project from the inbox.
    off.goto(f"{url}/")
    expect(off.locator("#nav-bell-count")).to_have_text("2")
    off.goto(f"{url}/notifications/")
    newest = off.locator("#inbox tr.unread").first
    expect(newest).to_contain_text("合同备案待审核：通知智造有限公司（合同 NTF-01-R）")
    newest.locator("a.notification-link").click()
    expect(off).to_have_url(f"{url}/projects/{project.pk}/")
    expect(off.locator('a[data-move="approve_filing"]')).to_be_visible()
