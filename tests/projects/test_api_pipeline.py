"""The pipeline over the API: the application and one POST action per move, each parsed by its
strict serializer and decided by `pipeline.perform` (tested itself in test_pipeline.py). Here:
a walk through the stages with the right users, the detail's allowed moves and working state,
and every refusal class answered with its status, naming the field for bad input, writing
nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from assessments.choices import Method, Purpose, State
from projects import rules
from projects.models import Project, SubsidyRule
from projects.services import pipeline
from tests.assessments.factories import AssessmentFactory
from tests.projects.test_pipeline import CHECKED, DECLARED, snapshot, upload
from tests.providers.factories import LibraryEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def firm(enterprise, district):
    enterprise.district = district
    enterprise.save()
    return enterprise


@pytest.fixture
def library(city, provider):
    return LibraryEntryFactory(city=city, provider=provider)


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def move(user, project, name, **data):
    return as_user(user).post(f"/api/v1/projects/{project.pk}/{name}/", data, format="json")


def ok(response, status=200):
    assert response.status_code == status, response.content.decode()
    return response.json()


def moves_of(body):
    return [m["move"] for m in body["allowed_moves"]]


def test_a_project_walks_the_pipeline_over_the_api(
    firm, city, enterprise_user, district_official, city_official, provider, provider_user, library
):
    body = ok(as_user(enterprise_user).post("/api/v1/projects/", DECLARED, format="json"), 201)
    project = Project.objects.get(pk=body["id"])
    assert (body["stage"], moves_of(body)) == ("applied", ["withdraw"])

    ok(move(district_official, project, "district-review-application"))
    body = ok(move(city_official, project, "admit", diagnosis_provider=provider.pk))
    assert body["diagnosis_provider_name"] == provider.name
    assert moves_of(body) == ["diagnose", "withdraw"]

    upload(provider_user, project, rules.DOC_DIAGNOSIS_REPORT, "diagnosed")
    body = ok(move(provider_user, project, "diagnose", scenes=["S01"], comment="诊断完成"))
    assert "enterprise_uscc" not in body  # a provider sees its client by name only
    assert [s["code"] for s in body["diagnosis_scenes"]] == ["S01"]
    assert body["diagnosis_scenes"][0]["name"]

    detail = ok(as_user(enterprise_user).get(f"/api/v1/projects/{project.pk}/"))
    select = detail["allowed_moves"][0]
    assert (select["move"], select["label"]) == ("select_provider", "选择服务商")
    assert select["url"].endswith(f"/api/v1/projects/{project.pk}/select-provider/")
    ok(as_user(enterprise_user).post(select["url"], {"provider": provider.pk}, format="json"))

    upload(enterprise_user, project, rules.DOC_CONTRACT, "contract_filed")
    today = timezone.localdate()
    filing = {
        "contract_no": "HT-2025-001",
        "signed_on": today.isoformat(),
        "contract_amount": "500000.00",
        "planned_completion_on": (today + dt.timedelta(days=120)).isoformat(),
        "software": 300000,  # a JSON number as well as text
        "cloud": "50000",
        "office_it": "100000.5",
    }
    body = ok(move(enterprise_user, project, "file-contract", **filing))
    assert (body["filing_state"], body["contract_amount"]) == ("submitted", "500000.00")
    assert {(line["category"], line["amount"]) for line in body["lines"]} == {
        ("software", "300000.00"),
        ("cloud", "50000.00"),
        ("office_it", "100000.50"),
    }
    body = ok(move(city_official, project, "return-filing", comment="合同缺少盖章页"))
    assert (body["filing_state"], body["filing_state_label"]) == ("returned", "已退回")
    ok(move(enterprise_user, project, "file-contract", **filing))
    ok(move(city_official, project, "approve-filing"))
    ok(move(enterprise_user, project, "complete"))

    for doc_type in (rules.DOC_INVOICE, rules.DOC_PAYMENT_PROOF, rules.DOC_SUMMARY):
        upload(enterprise_user, project, doc_type, "acceptance_applied")
    AssessmentFactory(enterprise=firm, purpose=Purpose.POST, submitted=True)
    body = ok(move(enterprise_user, project, "apply-acceptance", satisfaction=5))
    assert body["acceptance_attempts"] == 1
    ok(move(district_official, project, "district-review-acceptance"))
    body = ok(move(city_official, project, "schedule-acceptance", on=today.isoformat()))
    assert body["acceptance_scheduled_on"] == today.isoformat()
    assert moves_of(body) == ["accept", "fail_acceptance", "withdraw"]
    AssessmentFactory(
        enterprise=firm,
        purpose=Purpose.POST,
        method=Method.ONSITE,
        state=State.CONFIRMED,
        level=3,
        revision=None,
        confirmed_at=timezone.now(),
    )
    body = ok(move(city_official, project, "accept", **CHECKED))
    assert body["after_level"] == 3
    assert [c["passed"] for c in body["acceptance_checklist"]] == [True] * 4

    SubsidyRule.objects.create(
        city=city,
        valid_from=dt.date(2024, 1, 1),
        rate=Decimal("0.4"),
        cap_l2=Decimal(300000),
        cap_l3=Decimal(400000),
        cap_l4=Decimal(500000),
    )
    # eligible: software 300,000 + cloud 50,000 → 40% = 140,000
    ok(move(city_official, project, "approve-subsidy", central="100000", local="40000"))
    body = ok(move(city_official, project, "pay-subsidy", central="90000", local=50000))
    assert (body["stage"], body["subsidy_central"], body["subsidy_local"]) == (
        "subsidy_paid",
        "90000.00",
        "50000.00",
    )
    assert body["allowed_moves"] == []
    assert project.events.count() == 16


@pytest.fixture
def admitted(firm, enterprise_user, district_official, city_official, provider, library):
    project = pipeline.apply(actor=enterprise_user, declaration=DECLARED)
    pipeline.review_application(actor=district_official, project_id=project.pk)
    return pipeline.admit(
        actor=city_official, project_id=project.pk, diagnosis_provider_id=provider.pk
    )


def test_refused_moves_answer_their_status_and_write_nothing(
    admitted, city, enterprise_user, other_city_official, city_official, provider_user
):
    before = snapshot(admitted)
    suspended = LibraryEntryFactory(city=city, status="suspended").provider
    refusals = [
        # out of scope, or no such project: 404
        (other_city_official, "withdraw", {"comment": "退出"}, 404, "detail"),
        (city_official, "withdraw", {"comment": "退出"}, 404, "detail", "abc"),
        (city_official, "withdraw", {"comment": "退出"}, 404, "detail", "99999999"),
        # a role that never makes the move: 403
        (enterprise_user, "admit", {}, 403, "detail"),
        # the stage does not allow it: 409, saying why
        (enterprise_user, "complete", {}, 409, "detail"),
        (city_official, "admit", {}, 409, "detail"),
        # input the serializer refuses: 400 naming the field
        (
            city_official,
            "withdraw",
            {"comment": "退出", "withdrawn_on": "2025-01-01"},
            400,
            "withdrawn_on",
        ),
        (city_official, "withdraw", {"comment": "长" * 2001}, 400, "comment"),
        (enterprise_user, "select-provider", {"provider": "x"}, 400, "provider"),
        (provider_user, "diagnose", {"scenes": "S01"}, 400, "scenes"),
        (city_official, "withdraw", [], 400, "non_field_errors"),
        # input the service refuses: 400 naming the field
        (city_official, "withdraw", {"comment": " "}, 400, "comment"),
        (provider_user, "diagnose", {"scenes": ["S01"]}, 400, "documents"),
        (provider_user, "diagnose", {"scenes": ["ZZ9"]}, 400, "scenes"),
    ]
    for actor, name, data, status, field, *pk in refusals:
        url = f"/api/v1/projects/{pk[0] if pk else admitted.pk}/{name}/"
        response = as_user(actor).post(url, data, format="json")
        assert response.status_code == status, (name, data, response.content.decode())
        assert field in response.json(), (name, response.json())
        assert snapshot(admitted) == before, (name, data)

    upload(provider_user, admitted, rules.DOC_DIAGNOSIS_REPORT, "diagnosed")
    ok(move(provider_user, admitted, "diagnose", scenes=["S01"]))
    before = snapshot(admitted)
    response = move(enterprise_user, admitted, "select-provider", provider=suspended.pk)
    assert response.status_code == 400
    assert "「暂停」" in response.json()["provider"][0]
    assert snapshot(admitted) == before


BAD_FILINGS = [
    ({"contract_amount": "1.001"}, "contract_amount", "最多 2 位小数"),
    ({"contract_amount": "1e5"}, "contract_amount", "请填写数字"),
    ({"software": True}, "software", "请填写数字"),
    ({"signed_on": "2025/4/1"}, "signed_on", "YYYY-MM-DD"),
    ({"signed_on": 20250401}, "signed_on", "YYYY-MM-DD"),
    # the service's five-year plan check would overflow on such a date: refused before it
    ({"signed_on": "9999-06-01", "planned_completion_on": "9999-12-31"}, "signed_on", "2099"),
    ({"contract_no": "H" * 51}, "contract_no", "50"),
    ({"software": "-1"}, "software", "不能为负数"),  # from the service
]


def test_bad_contract_filings_name_the_field(admitted, enterprise_user, provider_user, provider):
    upload(provider_user, admitted, rules.DOC_DIAGNOSIS_REPORT, "diagnosed")
    pipeline.diagnose(actor=provider_user, project_id=admitted.pk, scenes=["S01"])
    pipeline.select_provider(actor=enterprise_user, project_id=admitted.pk, provider_id=provider.pk)
    upload(enterprise_user, admitted, rules.DOC_CONTRACT, "contract_filed")
    before = snapshot(admitted)
    filing = {
        "contract_no": "HT-1",
        "signed_on": "2025-04-01",
        "contract_amount": "1000",
        "planned_completion_on": "2025-10-01",
        "software": "800",
    }
    for data, field, message in BAD_FILINGS:
        response = move(enterprise_user, admitted, "file-contract", **{**filing, **data})
        assert response.status_code == 400, (data, response.content.decode())
        assert message in response.json()[field][0], (data, response.json())
        assert snapshot(admitted) == before, data
    ok(move(enterprise_user, admitted, "file-contract", **filing))  # the filing itself is fine


def test_applications_over_the_api(
    firm, other_enterprise, enterprise_user, city_official, district_official
):
    api = "/api/v1/projects/"
    refusals = [
        (enterprise_user, {**DECLARED, "pledge": False}, 400, "declaration"),
        (enterprise_user, {**DECLARED, "applied_on": "2025-01-01"}, 400, "applied_on"),
        (city_official, DECLARED, 400, "enterprise"),
        (city_official, {**DECLARED, "enterprise": other_enterprise.uscc}, 404, "detail"),
        (district_official, {**DECLARED, "enterprise": firm.uscc}, 403, "detail"),
    ]
    for actor, data, status, field in refusals:
        response = as_user(actor).post(api, data, format="json")
        assert response.status_code == status, (data, response.content.decode())
        assert field in response.json()
    assert not Project.objects.exists()

    body = ok(as_user(city_official).post(api, {**DECLARED, "enterprise": firm.uscc}), 201)
    assert (body["enterprise_uscc"], body["stage"]) == (firm.uscc, "applied")
    again = as_user(enterprise_user).post(api, DECLARED, format="json")
    assert again.status_code == 409 and "不能重复申报" in again.json()["detail"]
    assert Project.objects.count() == 1
