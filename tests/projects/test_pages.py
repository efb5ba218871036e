"""Project pages: the list of city staff (scope, filters, export), the 一企一档 with its
documents (upload, download, delete), 我的改造项目."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessments.models import Purpose
from projects.models import InvestmentLine, Project, ProjectDocument, ProjectEvent, SubsidyRule
from tests.assessments.evidence_files import PDF
from tests.assessments.factories import AssessmentFactory
from tests.cities.factories import EnterpriseFactory, UserFactory
from tests.conftest import drain

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 1)


@pytest.fixture
def private_root(settings, tmp_path):
    root = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT = root
    return root


@pytest.fixture
def project(enterprise):
    return Project.objects.create(enterprise=enterprise, applied_on=DAY, admitted_on=DAY)


def login(client, user):
    client.force_login(user)
    return client


def upload(client, project, content=PDF, name="诊断报告.pdf", **fields):
    data = {"stage": "admitted", "doc_type": "other", **fields}
    data["file"] = SimpleUploadedFile(name, content, "application/pdf")
    return client.post(reverse("projects:document_upload", args=[project.pk]), data)


def test_upload_then_download_byte_identical_and_404_for_another_enterprise(
    client, private_root, project, enterprise_user, other_enterprise_user, sub_industry
):
    login(client, enterprise_user)
    response = upload(client, project)
    assert response.status_code == 302
    row = ProjectDocument.objects.get()
    url = reverse("projects:document_download", args=[project.pk, row.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]
    assert "private" in response["Cache-Control"]
    login(client, other_enterprise_user)
    assert client.get(url).status_code == 404
    # Same city, another enterprise: still 404.
    neighbour = EnterpriseFactory(sub_industry=sub_industry)
    login(client, UserFactory(role="enterprise", enterprise=neighbour))
    assert client.get(url).status_code == 404
    assert client.get(reverse("projects:project_detail", args=[project.pk])).status_code == 404


def test_a_refused_upload_shows_the_reason_and_stores_nothing(
    client, private_root, project, enterprise_user
):
    login(client, enterprise_user)
    response = upload(client, project, content=b"<html>not a pdf</html>", name="x.pdf")
    assert response.status_code == 400
    assert "只能上传 PDF、JPG、PNG、XLSX 或 DOCX 文件" in response.content.decode()
    assert not ProjectDocument.objects.exists()
    assert not private_root.exists() or not any(p.is_file() for p in private_root.rglob("*"))


def test_the_dossier_shows_missing_documents_and_moves(
    client, private_root, project, city_official
):
    Project.objects.filter(pk=project.pk).update(diagnosed_on=DAY)
    ProjectEvent.objects.create(
        project=project, move="admit", stage="admitted", actor=city_official, at=timezone.now()
    )
    login(client, city_official)
    page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    assert "尚缺材料" in page and "已诊断：诊断报告" in page
    assert city_official.username in page
    assert '<td data-label="操作">入库</td>' in page  # the move's name, not its code
    upload(client, project, stage="diagnosed", doc_type="diagnosis_report")
    page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    assert "已诊断：诊断报告" not in page and "诊断报告.pdf" in page


def test_my_project(client, project, enterprise_user, other_enterprise_user):
    login(client, enterprise_user)
    page = client.get(reverse("projects:my_project")).content.decode()
    assert "一企一档" in page and project.enterprise.name in page
    login(client, other_enterprise_user)
    page = client.get(reverse("projects:my_project")).content.decode()
    assert "还没有改造项目" in page


def test_list_scope_filters_and_search(client, project, city_official, other_enterprise):
    Project.objects.create(enterprise=other_enterprise, applied_on=DAY)
    late = Project.objects.create(
        enterprise=EnterpriseFactory(sub_industry=project.enterprise.sub_industry, name="逾期公司"),
        applied_on=DAY,
        admitted_on=DAY,
        diagnosed_on=DAY,
        provider_selected_on=DAY,
        contract_filed_on=DAY,
        planned_completion_on=DAY,
    )
    login(client, city_official)
    url = reverse("projects:project_list")

    def shown(**query):
        response = client.get(url, query)
        assert response.status_code == 200
        return set(p.pk for p in response.context["page"])

    assert shown() == {project.pk, late.pk}
    assert shown(stage="admitted") == {project.pk}
    assert shown(stage="contract_filed") == {late.pk}
    assert shown(overdue="1") == {late.pk}
    assert shown(q="逾期") == {late.pk}
    assert shown(q=project.enterprise.uscc.lower()) == {project.pk}
    assert shown(sub_industry="abc", stage="nonsense") == {project.pk, late.pk}


def test_list_is_for_city_staff(client, enterprise_user):
    login(client, enterprise_user)
    assert client.get(reverse("projects:project_list")).status_code == 404
    assert client.get(reverse("projects:project_export")).status_code == 404


def test_export_is_formula_safe(client, city_official, sub_industry):
    ent = EnterpriseFactory(sub_industry=sub_industry, name='=HYPERLINK("http://x")')
    Project.objects.create(enterprise=ent, applied_on=DAY)
    login(client, city_official)
    response = client.get(reverse("projects:project_export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(drain(response))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2] == "企业名称"
    assert rows[1][2] == '=HYPERLINK("http://x")'
    assert sheet.cell(row=2, column=3).data_type == "s"


def _list_queries(client, url) -> int:
    cache.clear()  # each size measured cold: the navigation's 待办 count is cached
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _spread(sub_industry, n: int, district=None) -> None:
    """Projects at every stage, some overdue either way, some rejected or withdrawn."""
    stages = [f"{s}_on" for s in ("applied", "admitted", "diagnosed", "provider_selected")]
    for i in range(n):
        dates = {f: DAY + dt.timedelta(days=k) for k, f in enumerate(stages[: 1 + i % 4])}
        if i % 4 == 3:
            dates.update(contract_filed_on=DAY + dt.timedelta(days=5), completed_on=COMPLETED)
            dates["planned_completion_on"] = COMPLETED
        if i % 5 == 0:
            dates["withdrawn_on"] = dt.date(2025, 4, 1)
        enterprise = EnterpriseFactory(sub_industry=sub_industry, district=district)
        Project.objects.create(enterprise=enterprise, **dates)


COMPLETED = dt.date(2025, 3, 11)  # acceptance overdue from 2025-06-12
FUNNEL_FILTERS = "reached=admitted&as_of=2025-12-31&overdue=true&outcome=withdrawn&district=none"


@pytest.mark.parametrize("query", ["", FUNNEL_FILTERS, "overdue=acceptance&city=1&district=1"])
def test_list_query_count_does_not_grow_with_size(client, city_official, sub_industry, query):
    login(client, city_official)
    url = f"{reverse('projects:project_list')}?{query}"
    _spread(sub_industry, 2)
    small = _list_queries(client, url)
    _spread(sub_industry, 20)
    assert _list_queries(client, url) == small <= 12


def test_list_funnel_filters_show_and_remove_and_export(
    client, city_official, sub_industry, district
):
    _spread(sub_industry, 8)
    _spread(sub_industry, 4, district=district)
    login(client, city_official)
    url = reverse("projects:project_list")

    def shown(query: str) -> set[int]:
        response = client.get(f"{url}?{query}")
        assert response.status_code == 200
        return {p.pk for p in response.context["page"]}

    def expected(**where) -> set[int]:
        return set(Project.objects.filter(**where).values_list("pk", flat=True))

    assert shown("reached=diagnosed&as_of=2025-03-02") == expected(diagnosed_on__lte="2025-03-02")
    assert shown("reached=diagnosed&as_of=2025-03-01") == set()
    assert shown("outcome=withdrawn&as_of=2025-03-31") == set()
    assert shown("outcome=withdrawn") == expected(withdrawn_on__isnull=False)
    assert shown(f"district={district.pk}") == expected(enterprise__district=district)
    assert shown("district=none") == expected(enterprise__district__isnull=True)
    # Three months after completion acceptance is overdue, unless withdrawn by then.
    late = expected(completed_on=COMPLETED, withdrawn_on__isnull=True)
    assert late and shown("overdue=acceptance&as_of=2025-06-12") == late
    assert shown("overdue=acceptance&as_of=2025-06-11") == set()
    assert shown("overdue=completion&as_of=2025-06-12") == set()
    assert shown("overdue=true&as_of=2025-06-12") == late
    # On the page a bad date is ignored (today), as are unknown choices.
    assert shown("reached=admitted&as_of=2025-02-30&outcome=lost&overdue=soon") == expected(
        admitted_on__isnull=False
    )

    query = f"reached=admitted&as_of=2025-06-12&overdue=acceptance&district={district.pk}"
    page = client.get(f"{url}?{query}")
    chips = page.context["active"]
    assert [(c["label"], c["value"]) for c in chips] == [
        ("区县", district.name),
        ("已到达阶段", "已入库"),
        ("逾期", "逾期未申请验收"),
        ("统计日", "2025-06-12"),
    ]
    html = page.content.decode()
    assert 'id="active-filters"' in html and 'id="f-district"' in html
    without_date = next(c["remove"] for c in chips if c["label"] == "统计日")
    assert "as_of" not in without_date and f"district={district.pk}" in without_date
    assert f'href="?{without_date.replace("&", "&amp;")}"' in html
    # The export lists what the page lists.
    listed = {p.enterprise.uscc for p in page.context["page"]}
    assert listed
    export = client.get(f"{reverse('projects:project_export')}?{query}")
    sheet = load_workbook(io.BytesIO(drain(export))).active
    exported = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert exported == listed


def test_an_accepted_project_shows_its_entitlement(client, enterprise, city_official):
    dates = {f"{s}_on": DAY for s in ("applied", "admitted", "diagnosed", "provider_selected")}
    project = Project.objects.create(
        enterprise=enterprise,
        **dates,
        contract_filed_on=DAY,
        completed_on=DAY,
        acceptance_applied_on=DAY,
        accepted_on=dt.date(2025, 6, 1),
    )
    InvestmentLine.objects.create(project=project, category="software", amount=Decimal("100000"))
    InvestmentLine.objects.create(project=project, category="office_it", amount=Decimal("50000"))
    SubsidyRule.objects.create(
        city=enterprise.city,
        valid_from=dt.date(2025, 1, 1),
        rate=Decimal("0.4"),
        cap_l2=Decimal(30000),
        cap_l3=Decimal(400000),
        cap_l4=Decimal(500000),
        created_by=city_official,
    )
    AssessmentFactory(
        enterprise=enterprise,
        confirmed=True,
        purpose=Purpose.POST,
        level=2,
        assessed_on=dt.date(2025, 5, 1),
    )
    login(client, city_official)
    response = client.get(reverse("projects:project_detail", args=[project.pk]))
    assert response.context["entitlement"].after_level == 2
    # 40% of the eligible 100,000 is 40,000, capped at level 2's 30,000.
    assert response.context["entitlement"].amount == Decimal("30000.00")
    assert "30000.00" in response.content.decode()


def test_the_admin_lists_documents_read_only(
    client, private_root, project, enterprise_user, admin_user_
):
    login(client, enterprise_user)
    assert upload(client, project).status_code == 302
    row = ProjectDocument.objects.get()
    login(client, admin_user_)
    page = client.get(reverse("admin:projects_projectdocument_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    for shown in (row.original_name, row.sha256, project.enterprise.name, enterprise_user.username):
        assert shown in text
    assert reverse("admin:projects_projectdocument_add") not in text
    change = client.get(reverse("admin:projects_projectdocument_change", args=[row.pk]))
    assert change.status_code == 200
    assert 'type="file"' not in change.content.decode()
    assert row.file.name not in change.content.decode()
    # Nothing changes through the admin: a post is refused and the row stays as it was.
    client.post(reverse("admin:projects_projectdocument_change", args=[row.pk]), {"stage": "x"})
    client.post(reverse("admin:projects_projectdocument_delete", args=[row.pk]), {"post": "yes"})
    assert ProjectDocument.objects.get().stage == row.stage
