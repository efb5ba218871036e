"""The pipeline's pages: the move buttons on the 一企一档, each move's form page, its refusals.

The service's rules are tested in test_pipeline.py; here what the pages add: the buttons each role
sees, forms that name the field on bad input and write nothing, and the answer a refused move gets.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import Project, ProjectEvent
from projects.services import pipeline
from tests.projects.test_pipeline import DECLARED, contract, upload
from tests.providers.factories import LibraryEntryFactory

pytestmark = pytest.mark.django_db


def move_url(project, move):
    return reverse("projects:project_move", args=[project.pk, move])


def test_an_enterprise_applies_through_the_page(client, firm, enterprise_user):
    client.force_login(enterprise_user)
    page = client.get(reverse("projects:my_project"))
    assert reverse("projects:project_apply") in page.content.decode()
    refused = client.post(reverse("projects:project_apply"), {"registered_locally": "on"})
    assert refused.status_code == 400
    assert "请确认此项" in refused.content.decode()
    assert not Project.objects.exists()
    done = client.post(reverse("projects:project_apply"), dict.fromkeys(DECLARED, "on"))
    project = Project.objects.get(enterprise=firm)
    assert done.url == reverse("projects:project_detail", args=[project.pk])
    assert project.applied_on == timezone.localdate()


def test_a_city_official_applies_for_an_enterprise_by_uscc(client, firm, city_official):
    client.force_login(city_official)
    data = {**dict.fromkeys(DECLARED, "on"), "uscc": "91350100M000100Y4X"}
    refused = client.post(reverse("projects:project_apply"), data)
    assert "本市企业名录中没有该统一社会信用代码" in refused.content.decode()
    client.post(reverse("projects:project_apply"), {**data, "uscc": firm.uscc.lower()})
    assert Project.objects.filter(enterprise=firm).exists()


def test_each_role_sees_its_buttons_and_moves_through_the_forms(
    client, firm, enterprise_user, district_official, city_official, provider, provider_user, city
):
    LibraryEntryFactory(city=city, provider=provider)
    project = pipeline.apply(actor=enterprise_user, declaration=DECLARED)
    detail = reverse("projects:project_detail", args=[project.pk])

    client.force_login(district_official)
    assert 'data-move="district_review_application"' in client.get(detail).content.decode()
    client.post(move_url(project, "district_review_application"), {"comment": "材料齐全"})

    client.force_login(city_official)
    page = client.get(detail).content.decode()
    assert 'data-move="admit"' in page and 'data-move="reject"' in page
    assert provider.name in client.get(move_url(project, "admit")).content.decode()
    client.post(move_url(project, "admit"), {"diagnosis_provider": provider.pk})

    client.force_login(provider_user)
    form = client.get(move_url(project, "diagnose")).content.decode()
    assert "请先在一企一档上传以下材料：诊断报告" in form
    refused = client.post(move_url(project, "diagnose"), {"scenes": ["S01"]})
    assert refused.status_code == 400 and "请先上传诊断报告" in refused.content.decode()
    upload(provider_user, project, "diagnosis_report", "diagnosed")
    client.post(move_url(project, "diagnose"), {"scenes": ["S01", "S03"]})

    client.force_login(enterprise_user)
    client.post(move_url(project, "select_provider"), {"provider": provider.pk})
    upload(enterprise_user, project, "contract", "contract_filed")
    value = contract()
    data = {
        "contract_no": value.contract_no,
        "signed_on": value.signed_on.isoformat(),
        "contract_amount": "100000",
        "planned_completion_on": value.planned_completion_on.isoformat(),
        **value.lines,
    }
    events = ProjectEvent.objects.count()
    refused = client.post(move_url(project, "file_contract"), data)
    assert refused.status_code == 400
    assert "超过合同金额 100,000.00 元" in refused.content.decode()
    assert ProjectEvent.objects.count() == events
    client.post(move_url(project, "file_contract"), {**data, "contract_amount": "500000"})

    client.force_login(city_official)
    client.post(move_url(project, "return_filing"), {"comment": "缺盖章页"})
    client.force_login(enterprise_user)
    page = client.get(move_url(project, "file_contract")).content.decode()
    assert "退回原因：缺盖章页" in page and 'value="HT-2025-001"' in page

    project.refresh_from_db()
    assert project.diagnosis_scenes == ["S01", "S03"]
    assert project.provider_id == provider.pk
    assert list(project.events.values_list("move", flat=True)) == [
        "apply",
        "district_review_application",
        "admit",
        "diagnose",
        "select_provider",
        "file_contract",
        "return_filing",
    ]


def test_a_refused_move_page_says_why(client, firm, enterprise_user, city_official):
    project = pipeline.apply(actor=enterprise_user, declaration=DECLARED)
    client.force_login(city_official)
    early = client.get(move_url(project, "admit"))
    assert early.status_code == 409
    assert "区县尚未完成入库申请初审，不能入库" in early.content.decode()
    client.force_login(enterprise_user)
    assert client.get(move_url(project, "admit")).status_code == 403


def test_district_officials_and_providers_list_their_own_projects(
    client, firm, other_enterprise, sub_industry, district_official, provider, provider_user
):
    import io

    from openpyxl import load_workbook

    from tests.cities.factories import EnterpriseFactory
    from tests.conftest import drain

    day = timezone.localdate()
    served = Project.objects.create(
        enterprise=firm,
        applied_on=day,
        admitted_on=day,
        diagnosed_on=day,
        provider_selected_on=day,
        provider=provider,
    )
    elsewhere = Project.objects.create(
        enterprise=EnterpriseFactory(sub_industry=sub_industry), applied_on=day
    )
    Project.objects.create(enterprise=other_enterprise, applied_on=day)
    client.force_login(district_official)
    page = client.get(reverse("projects:project_list")).content.decode()
    assert firm.name in page and elsewhere.enterprise.name not in page
    assert firm.uscc in page
    client.force_login(provider_user)
    page = client.get(reverse("projects:project_list")).content.decode()
    assert firm.name in page and elsewhere.enterprise.name not in page
    assert firm.uscc not in page and "<th>统一社会信用代码" not in page
    export = client.get(reverse("projects:project_export"))
    sheet = load_workbook(io.BytesIO(drain(export))).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row]
    assert firm.name in cells and firm.uscc not in cells
    assert served.pk in [row[0].value for row in sheet.iter_rows(min_row=2)]
