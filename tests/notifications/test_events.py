"""Each event reaches exactly the people it concerns (issue 16 item 2): a matrix like the
permission matrix. One project goes through the pipeline, with a failed acceptance on the way,
and every service that raises an event runs once; after each step the notifications written are
compared with the expected recipients, by persona, all steps in one table.

Personas (city A unless said): ent (A1's user, district D1), ent2 (A2's user, district D2),
prv (the chosen provider's user), prv2 (another provider of A's library), off and offb (A's two
officials), off2 (city B's official), asr / asr2 (assessors of A / B), dst / dst2 (officials of
D1 / D2), min (ministry), gone (A1's deactivated user: nobody inactive is notified).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Role
from assessments import services as assessment_services
from assessments.choices import Method, Purpose, State
from cities.imports import jobs as import_jobs
from notifications.choices import KINDS_BY_ROLE, Kind
from notifications.models import Notification
from projects import rules
from projects.models import Project, SubsidyRule
from projects.services import documents, pipeline
from providers import services as provider_services
from reports import services as report_services
from tests.assessments.evidence_files import PDF
from tests.assessments.factories import AssessmentFactory
from tests.cities.factories import (
    CityFactory,
    DistrictFactory,
    EnterpriseFactory,
    SubIndustryFactory,
    UserFactory,
)
from tests.providers.factories import LibraryEntryFactory, ProviderFactory

pytestmark = pytest.mark.django_db

DECLARED = dict.fromkeys(pipeline.DECLARATION, True)
CHECKED = dict.fromkeys(pipeline.CHECKLIST, True)

# step → (kind, the personas notified); a step absent here must notify nobody.
EXPECTED: dict[str, tuple[str, set[str]]] = {
    "review_application": (Kind.APPLICATION_REVIEWED, {"ent", "off", "offb"}),
    "admit": (Kind.APPLICATION_REVIEWED, {"ent"}),
    "file_contract": (Kind.FILING_SUBMITTED, {"off", "offb"}),
    "return_filing": (Kind.FILING_RETURNED, {"ent", "prv"}),
    "file_contract_again": (Kind.FILING_SUBMITTED, {"off", "offb"}),
    "approve_filing": (Kind.FILING_APPROVED, {"ent", "prv"}),
    "apply_acceptance": (Kind.ACCEPTANCE_APPLIED, {"dst"}),
    "review_acceptance": (Kind.ACCEPTANCE_APPLIED, {"off", "offb"}),
    "schedule_acceptance": (Kind.ACCEPTANCE_SCHEDULED, {"ent", "prv", "asr"}),
    "fail_acceptance": (Kind.ACCEPTANCE_FAILED, {"ent", "prv", "dst"}),
    "apply_acceptance_again": (Kind.ACCEPTANCE_APPLIED, {"dst"}),
    "review_acceptance_again": (Kind.ACCEPTANCE_APPLIED, {"off", "offb"}),
    "schedule_acceptance_again": (Kind.ACCEPTANCE_SCHEDULED, {"ent", "prv", "asr"}),
    "accept": (Kind.ACCEPTANCE_PASSED, {"ent", "prv", "dst"}),
    "approve_subsidy": (Kind.SUBSIDY_APPROVED, {"ent"}),
    "pay_subsidy": (Kind.SUBSIDY_PAID, {"ent"}),
    "assessment_returned": (Kind.ASSESSMENT_RETURNED, {"ent"}),
    "assessment_confirmed": (Kind.ASSESSMENT_CONFIRMED, {"ent"}),
    # The warned provider's users (prv2's provider), and A's other official (the one who
    # changed it knows).
    "provider_status": (Kind.PROVIDER_STATUS, {"prv2", "offb"}),
    "import_finished": (Kind.IMPORT_FINISHED, {"off"}),
    "import_failed": (Kind.IMPORT_FAILED, {"off"}),
    "report_ready": (Kind.REPORT_READY, {"min"}),
}


@pytest.fixture
def world(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REPORTS_RENDERER = "tests.reports.fakes.render"
    city = CityFactory(code="HHHT", name="呼和浩特市")
    other_city = CityFactory(code="NB", name="宁波市")
    d1 = DistrictFactory(city=city, code="D1", name="赛罕区")
    d2 = DistrictFactory(city=city, code="D2", name="新城区")
    sub = SubIndustryFactory(city=city, code="FOOD", name="特色食品")
    a1 = EnterpriseFactory(sub_industry=sub, district=d1)
    a2 = EnterpriseFactory(sub_industry=sub, district=d2)
    provider = ProviderFactory()
    other_provider = ProviderFactory()
    LibraryEntryFactory(city=city, provider=provider)
    other_entry = LibraryEntryFactory(city=city, provider=other_provider)
    users = {
        "ent": UserFactory(role=Role.ENTERPRISE, enterprise=a1),
        "ent2": UserFactory(role=Role.ENTERPRISE, enterprise=a2),
        "prv": UserFactory(role=Role.PROVIDER, provider=provider),
        "prv2": UserFactory(role=Role.PROVIDER, provider=other_provider),
        "off": UserFactory(role=Role.CITY_OFFICIAL, city=city),
        "offb": UserFactory(role=Role.CITY_OFFICIAL, city=city),
        "off2": UserFactory(role=Role.CITY_OFFICIAL, city=other_city),
        "asr": UserFactory(role=Role.ASSESSOR, city=city),
        "asr2": UserFactory(role=Role.ASSESSOR, city=other_city),
        "dst": UserFactory(role=Role.DISTRICT_OFFICIAL, city=city, district=d1),
        "dst2": UserFactory(role=Role.DISTRICT_OFFICIAL, city=city, district=d2),
        "min": UserFactory(role=Role.MINISTRY),
        "gone": UserFactory(role=Role.ENTERPRISE, enterprise=a1, is_active=False),
    }
    return city, a1, provider, other_entry, users


def test_each_event_reaches_exactly_the_people_it_concerns(
    world, django_capture_on_commit_callbacks
):
    city, a1, provider, other_entry, u = world
    names = {user.pk: name for name, user in u.items()}
    got: dict[str, tuple[str, set[str]]] = {}
    seen = 0

    def step(name, action):
        nonlocal seen
        with django_capture_on_commit_callbacks(execute=True):
            result = action()
        new = list(Notification.objects.order_by("pk")[seen:])
        seen += len(new)
        if new:
            kinds = {n.kind for n in new}
            assert len(kinds) == 1, f"{name}: {kinds}"
            got[name] = (kinds.pop(), {names[n.recipient_id] for n in new})
            assert len(new) == len(got[name][1]), f"{name}: someone notified twice"
        return result

    def upload(user, project, doc_type, stage):
        documents.document_add(
            actor=user,
            project_id=project.pk,
            stage=stage,
            doc_type=doc_type,
            upload=ContentFile(PDF, name=f"{doc_type}.pdf"),
        )

    today = timezone.localdate()
    contract = pipeline.Contract(
        contract_no="HT-1",
        signed_on=today,
        amount="500000",
        planned_completion_on=today + dt.timedelta(days=120),
        lines={"software": "300000"},
    )
    pk = step("apply", lambda: pipeline.apply(actor=u["ent"], declaration=DECLARED)).pk
    step("review_application", lambda: pipeline.review_application(actor=u["dst"], project_id=pk))
    project = step(
        "admit",
        lambda: pipeline.admit(actor=u["off"], project_id=pk, diagnosis_provider_id=provider.pk),
    )
    upload(u["prv"], project, rules.DOC_DIAGNOSIS_REPORT, "diagnosed")
    step("diagnose", lambda: pipeline.diagnose(actor=u["prv"], project_id=pk, scenes=["S01"]))
    step(
        "select_provider",
        lambda: pipeline.select_provider(actor=u["ent"], project_id=pk, provider_id=provider.pk),
    )
    upload(u["ent"], project, rules.DOC_CONTRACT, "contract_filed")
    file_contract = lambda: pipeline.file_contract(  # noqa: E731
        actor=u["ent"], project_id=pk, contract=contract
    )
    step("file_contract", file_contract)
    step(
        "return_filing",
        lambda: pipeline.return_filing(actor=u["off"], project_id=pk, comment="缺少盖章页"),
    )
    step("file_contract_again", file_contract)
    step("approve_filing", lambda: pipeline.approve_filing(actor=u["off"], project_id=pk))
    step("complete", lambda: pipeline.complete(actor=u["ent"], project_id=pk))
    for doc_type in (rules.DOC_INVOICE, rules.DOC_PAYMENT_PROOF, rules.DOC_SUMMARY):
        upload(u["ent"], project, doc_type, "acceptance_applied")
    AssessmentFactory(enterprise=a1, purpose=Purpose.POST, submitted=True)

    def to_acceptance(suffix):
        step(
            f"apply_acceptance{suffix}",
            lambda: pipeline.apply_acceptance(actor=u["ent"], project_id=pk, satisfaction=5),
        )
        step(
            f"review_acceptance{suffix}",
            lambda: pipeline.review_acceptance(actor=u["dst"], project_id=pk),
        )
        step(
            f"schedule_acceptance{suffix}",
            lambda: pipeline.schedule_acceptance(actor=u["off"], project_id=pk, on=today),
        )

    to_acceptance("")
    # §4.6: a failure comes after the application, an acceptance after the failure
    days_ago = today - dt.timedelta(days=3)
    Project.objects.filter(pk=pk).update(
        **{rules.date_field(s): days_ago for s in rules.STAGES[:7]}
    )
    step(
        "fail_acceptance",
        lambda: pipeline.fail_acceptance(
            actor=u["off"], project_id=pk, rectification="补齐发票", checklist={}
        ),
    )
    Project.objects.filter(pk=pk).update(acceptance_failed_on=today - dt.timedelta(days=1))
    to_acceptance("_again")
    AssessmentFactory(
        enterprise=a1,
        purpose=Purpose.POST,
        method=Method.ONSITE,
        state=State.CONFIRMED,
        level=3,
        revision=None,
        confirmed_at=timezone.now(),
    )
    step("accept", lambda: pipeline.accept(actor=u["off"], project_id=pk, checklist=CHECKED))
    SubsidyRule.objects.create(
        city=city,
        valid_from=dt.date(2024, 1, 1),
        rate=Decimal("0.4"),
        cap_l2=Decimal(300000),
        cap_l3=Decimal(400000),
        cap_l4=Decimal(500000),
    )
    step(
        "approve_subsidy",
        lambda: pipeline.approve_subsidy(actor=u["off"], project_id=pk, central="100", local="20"),
    )
    step(
        "pay_subsidy",
        lambda: pipeline.pay_subsidy(actor=u["off"], project_id=pk, central="100", local="20"),
    )

    submitted = AssessmentFactory(enterprise=a1, submitted=True)
    step(
        "assessment_returned",
        lambda: assessment_services.assessment_return(
            actor=u["asr"], assessment_id=submitted.pk, comment="请补充佐证"
        ),
    )
    onsite = AssessmentFactory(
        enterprise=a1, method=Method.ONSITE, purpose=Purpose.BASELINE, complete=True
    )
    step(
        "assessment_confirmed",
        lambda: assessment_services.assessment_confirm(actor=u["asr"], assessment_id=onsite.pk),
    )
    step(
        "provider_status",
        lambda: provider_services.library_change_status(
            actor=u["off"], entry_id=other_entry.pk, to_status="warned", reason="多次逾期"
        ),
    )

    def run_import(content):
        upload = SimpleUploadedFile("区县.csv", content.encode(), content_type="text/csv")
        job = import_jobs.import_job_create(kind="districts", upload=upload, actor=u["off"])
        import_jobs.import_job_validate(job_id=job.pk)
        job.refresh_from_db()
        if import_jobs.import_job_request_apply(job=job):
            import_jobs.import_job_apply(job_id=job.pk)

    step("import_finished", lambda: run_import(f"city_code,code,name\n{city.code},D9,新区\n"))
    step("import_failed", lambda: run_import("city_code,code,name\nNOPE,D9,新区\n"))

    job = report_services.report_request(actor=u["min"], kind="national")
    step("report_ready", lambda: report_services.report_job_run(job.pk))

    assert got == EXPECTED
    # Every kind a role receives is one its preference page offers.
    offered = {(n.recipient.role, n.kind) for n in Notification.objects.select_related("recipient")}
    assert {(r, k) for r, k in offered if k not in KINDS_BY_ROLE[r]} == set()


def test_a_refused_move_notifies_nobody(world, django_capture_on_commit_callbacks):
    _, _, _, _, u = world
    project = pipeline.apply(actor=u["ent"], declaration=DECLARED)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception):  # noqa: B017
        pipeline.return_filing(actor=u["off"], project_id=project.pk, comment="不应发出")
    assert not Notification.objects.exists()
