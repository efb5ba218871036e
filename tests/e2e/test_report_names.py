"""One name per report as the browser shows it (issue 12): 我的报告's request buttons, an
assessment's result page, and the job page a request leads to carry the ReportKind label. The
PDF and the file name are checked in tests/reports/test_report_names.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from reports.choices import ReportKind
from tests.assessments.factories import AssessmentFactory
from tests.cities.factories import CityFactory, EnterpriseFactory, SubIndustryFactory, UserFactory
from tests.e2e.conftest import login
from tests.reports import fakes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_request_buttons_and_job_page_use_the_report_names(live_server, page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTS_RENDERER = "tests.reports.fakes.render"
    fakes.RECORDER = fakes.Recorder()
    city = CityFactory(code="HHHT", name="呼和浩特市")
    enterprise = EnterpriseFactory(sub_industry=SubIndustryFactory(city=city))
    assessment = AssessmentFactory(enterprise=enterprise, submitted=True)
    UserFactory(username="ministry-e2e", role=Role.MINISTRY)
    login(page, live_server, "ministry-e2e", "Sme-pilot-2026!")

    page.goto(f"{live_server.url}/reports/")
    offer = page.locator("#report-request")
    # The dossier is asked for on its project's page (tests/reports/test_dossier.py).
    for kind in (k for k in ReportKind if k != ReportKind.DOSSIER):
        expect(offer.get_by_role("button", name=f"生成{kind.label}").first).to_be_visible()

    page.goto(f"{live_server.url}/assessments/{assessment.pk}/result/")
    button = page.locator("#report-request-form button")
    expect(button).to_have_text(f"生成{ReportKind.ASSESSMENT.label}")
    button.click()
    expect(page.locator("h1")).to_have_text(f"{ReportKind.ASSESSMENT.label} · {enterprise.name}")
    expect(page).to_have_title(f"{ReportKind.ASSESSMENT.label} · sme-pilot")

    page.goto(f"{live_server.url}/reports/")
    page.get_by_role("button", name=f"生成{ReportKind.NATIONAL.label}").click()
    expect(page.locator("h1")).to_have_text(ReportKind.NATIONAL.label)
