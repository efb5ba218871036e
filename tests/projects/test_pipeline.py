"""The pipeline service (domain §4.2): one project from application to paid subsidy across the
roles, and every refusal the issue lists, each leaving the project as it was.

The stage table itself is tested without a database in test_rules.py; here: scope, input,
documents, the after-level and the entitlement, the audit, the race.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Role
from assessments.choices import Method, Purpose, State
from projects import rules
from projects.choices import FilingState
from projects.models import Project, ProjectEvent, SubsidyRule
from projects.selectors.funnel import city_funnel
from projects.services import documents, pipeline
from projects.services.pipeline import Move
from sme_pilot.errors import Conflict, Forbidden, NotFound
from tests.assessments.evidence_files import PDF
from tests.assessments.factories import AssessmentFactory
from tests.cities.factories import DistrictFactory, EnterpriseFactory, UserFactory
from tests.concurrency import errors_of, locked, needs_row_locks, run_at_once
from tests.providers.factories import LibraryEntryFactory, ProviderFactory

pytestmark = pytest.mark.django_db

DECLARED = dict.fromkeys(pipeline.DECLARATION, True)
CHECKED = dict.fromkeys(pipeline.CHECKLIST, True)


@pytest.fixture
def library(city, provider):
    return LibraryEntryFactory(city=city, provider=provider)


def upload(user, project, doc_type, stage):
    return documents.document_add(
        actor=user,
        project_id=project.pk,
        stage=stage,
        doc_type=doc_type,
        upload=ContentFile(PDF, name=f"{doc_type}.pdf"),
    )


def contract(**changes):
    today = timezone.localdate()
    values = {
        "contract_no": "HT-2025-001",
        "signed_on": today,
        "amount": "500000",
        "planned_completion_on": today + dt.timedelta(days=120),
        "lines": {"software": "300000", "cloud": "50000", "office_it": "100000"},
    }
    values.update(changes)
    return pipeline.Contract(**values)


def snapshot(project):
    """Everything a refused move must leave as it was."""
    row = Project.objects.filter(pk=project.pk).values().get()
    row.pop("updated_at")
    return row, ProjectEvent.objects.filter(project=project).count()


@pytest.fixture
def admitted(firm, enterprise_user, district_official, city_official, provider, library):
    project = pipeline.apply(actor=enterprise_user, declaration=DECLARED)
    pipeline.review_application(actor=district_official, project_id=project.pk)
    return pipeline.admit(
        actor=city_official, project_id=project.pk, diagnosis_provider_id=provider.pk
    )


@pytest.fixture
def selected(admitted, provider_user, enterprise_user, provider):
    upload(provider_user, admitted, rules.DOC_DIAGNOSIS_REPORT, "diagnosed")
    pipeline.diagnose(actor=provider_user, project_id=admitted.pk, scenes=["S01"])
    return pipeline.select_provider(
        actor=enterprise_user, project_id=admitted.pk, provider_id=provider.pk
    )


def test_one_project_from_application_to_paid_subsidy(
    selected, firm, city, enterprise_user, district_official, city_official, provider_user
):
    project = selected
    upload(enterprise_user, project, rules.DOC_CONTRACT, "contract_filed")
    pipeline.file_contract(actor=enterprise_user, project_id=project.pk, contract=contract())
    pipeline.return_filing(actor=city_official, project_id=project.pk, comment="合同缺少盖章页")
    assert Project.objects.get(pk=project.pk).filing_state == FilingState.RETURNED
    pipeline.file_contract(actor=enterprise_user, project_id=project.pk, contract=contract())
    pipeline.approve_filing(actor=city_official, project_id=project.pk)
    pipeline.complete(actor=enterprise_user, project_id=project.pk)
    for doc_type in (rules.DOC_INVOICE, rules.DOC_PAYMENT_PROOF, rules.DOC_SUMMARY):
        upload(enterprise_user, project, doc_type, "acceptance_applied")
    AssessmentFactory(enterprise=firm, purpose=Purpose.POST, submitted=True)
    pipeline.apply_acceptance(actor=enterprise_user, project_id=project.pk, satisfaction=5)
    pipeline.review_acceptance(actor=district_official, project_id=project.pk)
    pipeline.schedule_acceptance(
        actor=city_official, project_id=project.pk, on=timezone.localdate()
    )
    AssessmentFactory(
        enterprise=firm,
        purpose=Purpose.POST,
        method=Method.ONSITE,
        state=State.CONFIRMED,
        level=3,
        revision=None,
        confirmed_at=timezone.now(),
    )
    pipeline.accept(actor=city_official, project_id=project.pk, checklist=CHECKED)
    SubsidyRule.objects.create(
        city=city,
        valid_from=dt.date(2024, 1, 1),
        rate=Decimal("0.4"),
        cap_l2=Decimal(300000),
        cap_l3=Decimal(400000),
        cap_l4=Decimal(500000),
    )
    # eligible: software 300,000 + cloud 50,000 → 40% = 140,000 (office IT does not count)
    with pytest.raises(ValidationError, match=r"140,000\.00"):
        pipeline.approve_subsidy(
            actor=city_official, project_id=project.pk, central="100000", local="40000.01"
        )
    pipeline.approve_subsidy(
        actor=city_official, project_id=project.pk, central="100000", local="40000"
    )
    with pytest.raises(ValidationError, match="应等于核定金额"):
        pipeline.pay_subsidy(actor=city_official, project_id=project.pk, central="1", local="0")
    pipeline.pay_subsidy(actor=city_official, project_id=project.pk, central="90000", local="50000")

    project.refresh_from_db()
    today = timezone.localdate()
    assert all(getattr(project, rules.date_field(s)) == today for s in rules.STAGES)
    assert (project.after_level, project.satisfaction) == (3, 5)
    assert (project.subsidy_central, project.subsidy_local) == (Decimal(90000), Decimal(50000))
    assert project.provider_id == project.diagnosis_provider_id
    moves = list(project.events.order_by("at", "id").values_list("move", "actor__role"))
    assert moves[0] == (Move.APPLY, Role.ENTERPRISE)
    assert (Move.DIAGNOSE, Role.PROVIDER) in moves
    assert (Move.RETURN_FILING, Role.CITY_OFFICIAL) in moves
    assert moves[-1] == (Move.PAY_SUBSIDY, Role.CITY_OFFICIAL)
    assert len(moves) == 16
    funnel = city_funnel(city=city, as_of=today)
    assert funnel["reached"]["subsidy_paid"] == 1


def test_apply_twice_and_an_incomplete_declaration(firm, enterprise_user, city_official):
    with pytest.raises(ValidationError, match="承诺所填信息真实"):
        pipeline.apply(actor=enterprise_user, declaration={**DECLARED, "pledge": False})
    assert not Project.objects.exists()
    pipeline.apply(actor=enterprise_user, declaration=DECLARED)
    for actor, kwargs in ((enterprise_user, {}), (city_official, {"enterprise_id": firm.pk})):
        with pytest.raises(Conflict, match="不能重复申报"):
            pipeline.apply(actor=actor, declaration=DECLARED, **kwargs)
    assert Project.objects.count() == 1


def test_city_enters_applications_only_for_its_own_enterprises(
    other_enterprise, city_official, district_official
):
    with pytest.raises(NotFound):
        pipeline.apply(actor=city_official, enterprise_id=other_enterprise.pk, declaration=DECLARED)
    with pytest.raises(Forbidden, match="只有企业或城市管理员可以申报入库"):
        pipeline.apply(actor=district_official, enterprise_id=1, declaration=DECLARED)


def test_refused_moves_say_why_and_write_nothing(
    admitted, enterprise_user, district_official, city_official, provider_user
):
    before = snapshot(admitted)
    refusals = [
        # out of order
        (enterprise_user, Move.COMPLETE, {}, Conflict, "项目尚未完成诊断，不能申报完工"),
        # twice
        (city_official, Move.ADMIT, {}, Conflict, "已处于「已入库」环节，不能再入库"),
        # by the wrong role
        (enterprise_user, Move.ADMIT, {}, Forbidden, "只有城市管理员可以入库"),
        (district_official, Move.APPROVE_SUBSIDY, {}, Forbidden, "只有城市管理员可以核定奖补"),
        # the diagnosis report must be there first
        (provider_user, Move.DIAGNOSE, {"scenes": ["S01"]}, ValidationError, "请先上传诊断报告"),
        (provider_user, Move.DIAGNOSE, {"scenes": ["ZZ9"]}, ValidationError, "未知的场景"),
        (city_official, Move.WITHDRAW, {"comment": " "}, ValidationError, "请填写退出原因"),
    ]
    for actor, move, data, error, message in refusals:
        with pytest.raises(error, match=message):
            pipeline.perform(actor=actor, project_id=admitted.pk, move=move, data=data)
        assert snapshot(admitted) == before, (move, message)


def test_out_of_scope_actors_get_not_found(
    admitted, other_city_official, other_enterprise_user, city, firm
):
    other_district = DistrictFactory(city=city, code="D2", name="新城区")
    outsider = UserFactory(
        username="district2", role=Role.DISTRICT_OFFICIAL, city=city, district=other_district
    )
    other_provider = ProviderFactory()
    LibraryEntryFactory(city=city, provider=other_provider)
    stranger = UserFactory(username="prv2", role=Role.PROVIDER, provider=other_provider)
    before = snapshot(admitted)
    for actor, move in (
        (outsider, Move.WITHDRAW),
        (other_city_official, Move.WITHDRAW),
        (other_enterprise_user, Move.WITHDRAW),
        (stranger, Move.DIAGNOSE),
    ):
        with pytest.raises(NotFound):
            pipeline.perform(actor=actor, project_id=admitted.pk, move=move, data={"comment": "x"})
    assert snapshot(admitted) == before


def test_a_provider_acts_only_where_the_city_named_it(selected, provider_user, city):
    """After selection the provider serves the project; the diagnosis is no longer open."""
    with pytest.raises(Forbidden, match="只有企业可以提交合同备案"):
        pipeline.perform(
            actor=provider_user, project_id=selected.pk, move=Move.FILE_CONTRACT, data={}
        )


def test_picking_a_provider_that_is_not_active_here(
    admitted, provider_user, enterprise_user, city, other_city
):
    upload(provider_user, admitted, rules.DOC_DIAGNOSIS_REPORT, "diagnosed")
    pipeline.diagnose(actor=provider_user, project_id=admitted.pk, scenes=["S01"])
    suspended = LibraryEntryFactory(city=city, status="suspended").provider
    elsewhere = LibraryEntryFactory(city=other_city).provider
    before = snapshot(admitted)
    for provider, message in (
        (suspended, "状态为「暂停」，不能选择"),
        (elsewhere, "不在本市服务商库中"),
    ):
        with pytest.raises(ValidationError, match=message):
            pipeline.select_provider(
                actor=enterprise_user, project_id=admitted.pk, provider_id=provider.pk
            )
        assert snapshot(admitted) == before


def test_contract_lines_above_the_amount_and_other_bad_contracts(selected, enterprise_user):
    upload(enterprise_user, selected, rules.DOC_CONTRACT, "contract_filed")
    before = snapshot(selected)
    today = timezone.localdate()
    bad = [
        (contract(amount="100000"), "投资明细合计 450,000.00 元 超过合同金额 100,000.00 元"),
        (contract(lines={"software": "-1"}), "软件投资不能为负数"),
        (contract(lines={"software": "1.001"}), "最多保留两位小数"),
        (contract(lines={"gold": "1"}), "未知的投资类别"),
        (contract(lines={}), "请至少填写一项投资明细"),
        (contract(amount="1e20"), "合同金额超出范围"),
        (contract(contract_no=""), "请填写合同编号"),
        (contract(signed_on=today + dt.timedelta(days=1)), "不能晚于今天"),
        (contract(signed_on=dt.date(9999, 12, 31)), "不能晚于今天"),
        (contract(planned_completion_on=today - dt.timedelta(days=1)), "不能早于合同签订日期"),
    ]
    for value, message in bad:
        with pytest.raises(ValidationError) as caught:
            pipeline.file_contract(actor=enterprise_user, project_id=selected.pk, contract=value)
        assert message in str(caught.value.messages), (message, caught.value.messages)
        assert snapshot(selected) == before
    assert not selected.lines.exists()


@pytest.fixture
def scheduled(selected, firm, enterprise_user, district_official, city_official):
    project = selected
    upload(enterprise_user, project, rules.DOC_CONTRACT, "contract_filed")
    pipeline.file_contract(actor=enterprise_user, project_id=project.pk, contract=contract())
    pipeline.approve_filing(actor=city_official, project_id=project.pk)
    pipeline.complete(actor=enterprise_user, project_id=project.pk)
    for doc_type in (rules.DOC_INVOICE, rules.DOC_PAYMENT_PROOF, rules.DOC_SUMMARY):
        upload(enterprise_user, project, doc_type, "acceptance_applied")
    AssessmentFactory(enterprise=firm, purpose=Purpose.POST, submitted=True)
    pipeline.apply_acceptance(actor=enterprise_user, project_id=project.pk, satisfaction=4)
    pipeline.review_acceptance(actor=district_official, project_id=project.pk)
    pipeline.schedule_acceptance(
        actor=city_official, project_id=project.pk, on=timezone.localdate()
    )
    return project


def test_acceptance_needs_an_after_level_of_two(scheduled, firm, city_official):
    before = snapshot(scheduled)
    with pytest.raises(ValidationError, match="没有完工日期以来经现场评定员确认的改造后评测"):
        pipeline.accept(actor=city_official, project_id=scheduled.pk, checklist=CHECKED)
    AssessmentFactory(
        enterprise=firm,
        purpose=Purpose.POST,
        method=Method.ONSITE,
        state=State.CONFIRMED,
        level=1,
        revision=None,
        confirmed_at=timezone.now(),
    )
    with pytest.raises(ValidationError, match="改造后等级为 1 级，低于验收要求的 2 级"):
        pipeline.accept(actor=city_official, project_id=scheduled.pk, checklist=CHECKED)
    with pytest.raises(ValidationError, match="一企一档材料齐全"):
        pipeline.accept(
            actor=city_official,
            project_id=scheduled.pk,
            checklist={**CHECKED, "dossier_complete": False},
        )
    assert snapshot(scheduled) == before


def test_a_failed_acceptance_may_apply_again_once(scheduled, enterprise_user, city_official):
    project = scheduled
    # §4.6: a failure is dated after the application; this one was made yesterday
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Project.objects.filter(pk=project.pk).update(
        **{rules.date_field(s): yesterday for s in rules.STAGES[:7]}
    )
    for attempt in (1, 2):
        pipeline.fail_acceptance(
            actor=city_official,
            project_id=project.pk,
            rectification="系统未上线使用",
            checklist={**CHECKED, "systems_in_use": False},
        )
        if attempt == 1:
            pipeline.apply_acceptance(actor=enterprise_user, project_id=project.pk, satisfaction=3)
            project.refresh_from_db()
            assert project.acceptance_reviewed_at is None  # the district reviews it again
            project.acceptance_reviewed_at = timezone.now()
            project.acceptance_scheduled_on = timezone.localdate()
            project.save()
    with pytest.raises(Conflict, match="已2次验收未通过，不能再申请验收"):
        pipeline.apply_acceptance(actor=enterprise_user, project_id=project.pk, satisfaction=3)
    project.refresh_from_db()
    assert project.acceptance_failed_on == timezone.localdate()
    assert (project.acceptance_attempts, project.failed_attempts) == (2, 2)


def test_an_imported_project_continues_where_its_history_ends(firm, city_official):
    day = dt.date(2025, 1, 6)
    project = Project.objects.create(
        enterprise=firm,
        applied_on=day,
        admitted_on=day,
        diagnosed_on=day,
        provider_selected_on=day,
        contract_filed_on=day,
        completed_on=day,
        acceptance_applied_on=day,
        acceptance_failed_on=day + dt.timedelta(days=30),
    )
    state = pipeline.state_of(project)
    assert (state.acceptance_attempts, state.failed_attempts, state.acceptance_open) == (
        1,
        1,
        False,
    )
    assert pipeline.moves_for(city_official, project) == [Move.WITHDRAW]


@needs_row_locks
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_moves_cannot_both_succeed(
    firm, enterprise_user, district_official, city_official
):
    project = pipeline.apply(actor=enterprise_user, declaration=DECLARED)
    pipeline.review_application(actor=district_official, project_id=project.pk)
    outcomes = run_at_once(
        [
            lambda: pipeline.admit(actor=city_official, project_id=project.pk),
            lambda: pipeline.reject(actor=city_official, project_id=project.pk, comment="不符合"),
        ],
        hold=locked(Project.objects.filter(pk=project.pk)),
    )
    errors = errors_of(outcomes)
    assert len(errors) == 1 and isinstance(errors[0], Conflict), errors
    project.refresh_from_db()
    assert (project.admitted_on is None) != (project.rejected_on is None)
    assert project.events.filter(move__in=[Move.ADMIT, Move.REJECT]).count() == 1


def test_the_pipeline_refuses_a_district_official_rejecting_after_review(
    firm, enterprise_user, district_official
):
    project = pipeline.apply(actor=enterprise_user, declaration=DECLARED)
    pipeline.review_application(actor=district_official, project_id=project.pk)
    with pytest.raises(Conflict, match="是否入库由城市管理员决定"):
        pipeline.reject(actor=district_official, project_id=project.pk, comment="不符合")


def test_enterprise_factory_in_another_district_is_invisible_to_the_district(
    city, district_official, enterprise_user
):
    elsewhere = EnterpriseFactory(sub_industry=enterprise_user.enterprise.sub_industry)
    user = UserFactory(username="ent9", role=Role.ENTERPRISE, enterprise=elsewhere)
    project = pipeline.apply(actor=user, declaration=DECLARED)
    with pytest.raises(NotFound):
        pipeline.review_application(actor=district_official, project_id=project.pk)
