"""State changes that must happen once, raced for real: N requests on N threads and connections.

Each test releases its requests together (tests/concurrency.py holds the contended rows until
every request has made its checks) and asserts one success, clean refusals (no 500, no
IntegrityError) and one write. Report requests race in tests/reports too (rate limit).
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from assessments.models import Assessment, Evidence, Method, Purpose, State
from assessments.selectors import current_assessment_of
from assessments.services import assessment_confirm
from cities.imports import import_file
from cities.models import Enterprise, ImportJob, ImportJobState, PilotCity, RosterCount
from cities.services.registry import enterprise_update
from funds import services as funds_services
from funds.models import LedgerEntry
from oversight import dashboard_cache
from projects.models import Project, ProjectDocument, SubsidyRule
from providers.models import LibraryEntry
from reports.models import ReportJob
from sme_pilot.errors import Invalid
from tests.assessments.evidence_files import jpeg, upload
from tests.assessments.factories import AssessmentFactory, example_document, top_document
from tests.cities.factories import EnterpriseFactory, SubIndustryFactory, UserFactory
from tests.cities.import_files import enterprise_file, kind_file
from tests.concurrency import Outcome, errors_of, locked, needs_row_locks, run_at_once
from tests.providers.factories import LibraryEntryFactory

pytestmark = [needs_row_locks, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

N = 4  # as many simultaneous requests as in the report of defect 5
API = "/api/v1/assessments/"
PLEDGE = {"signer_name": "王经理", "signer_title": "总经理", "pledge_accepted": True}


@pytest.fixture
def second_assessor(city):
    return UserFactory(username="assessor-b", role=Role.ASSESSOR, city=city)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def posting(
    client: Client, url: str, body: dict[str, Any] | None = None, *, form: bool = False
) -> Callable[[], Any]:
    """A POST by `client` (JSON for the API, a form for pages), to be called on another thread."""
    if form:
        return lambda: client.post(url, body or {})
    return lambda: client.post(url, body or {}, content_type="application/json")


def responses(outcomes: list[Outcome]) -> list[HttpResponse]:
    """The responses, after checking that no request crashed (a 500 re-raises in the client)."""
    assert errors_of(outcomes) == []
    return [o.value for o in outcomes]


def statuses(answers: list[HttpResponse]) -> list[int]:
    return sorted(r.status_code for r in answers)


def messages_of(response: HttpResponse) -> str:
    """Every message of an API error body, field messages and "detail" alike."""
    body = response.json()
    return " ".join(" ".join(v) if isinstance(v, list) else str(v) for v in body.values())


# --- assessments ---------------------------------------------------------------------------------


def test_a_self_assessment_is_submitted_once(enterprise, enterprise_user):
    draft = AssessmentFactory(enterprise=enterprise, complete=True)
    url = f"{API}{draft.pk}/submit/"
    calls = [posting(logged_in(enterprise_user), url, PLEDGE) for _ in range(N)]

    answers = responses(run_at_once(calls, hold=locked(Assessment.objects.filter(pk=draft.pk))))

    assert statuses(answers) == [200] + [400] * (N - 1)
    for refused in (r for r in answers if r.status_code == 400):
        assert "已提交，不能再修改" in messages_of(refused)
    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED
    assert draft.history.filter(history_change_reason="提交自评").count() == 1


def test_an_onsite_assessment_is_confirmed_once(city, enterprise, assessor, second_assessor):
    onsite = AssessmentFactory(
        enterprise=enterprise, method=Method.ONSITE, purpose=Purpose.BASELINE, complete=True
    )
    today = timezone.localdate()
    assert dashboard_cache.cached_for_city("race", city.pk, today, lambda: "before") == "before"
    actors = [assessor, second_assessor] * (N // 2)
    url = f"{API}{onsite.pk}/confirm/"
    calls = [posting(logged_in(actor), url) for actor in actors]

    answers = responses(run_at_once(calls, hold=locked(Assessment.objects.filter(pk=onsite.pk))))

    assert statuses(answers) == [200] + [400] * (N - 1)
    winner = next(a for a, r in zip(actors, answers, strict=True) if r.status_code == 200)
    for refused in (r for r in answers if r.status_code == 400):
        assert "已确认，不能再修改" in messages_of(refused)
    onsite.refresh_from_db()
    assert onsite.state == State.CONFIRMED
    assert onsite.confirmed_by == winner and onsite.confirmed_at is not None
    assert onsite.history.filter(history_change_reason="现场评定确认").count() == 1
    # The confirmation reached the dashboards: the figures cached before it are not served.
    assert dashboard_cache.cached_for_city("race", city.pk, today, lambda: "after") == "after"


def test_simultaneous_confirmations_of_one_enterprise_keep_its_latest_level(
    enterprise, assessor, second_assessor
):
    # Levels 2 and 4 alternately, all dated today: the latest confirmation decides, and each
    # writer's refresh must see the others' (docs/rules.md "Kept current level").
    drafts = [
        AssessmentFactory(
            enterprise=enterprise,
            method=Method.ONSITE,
            purpose=Purpose.POST,
            document=example_document() if i % 2 else top_document(),
        )
        for i in range(N)
    ]
    actors = [assessor, second_assessor] * (N // 2)
    calls = [
        partial(assessment_confirm, actor=actor, assessment_id=d.pk)
        for actor, d in zip(actors, drafts, strict=True)
    ]

    outcomes = run_at_once(calls, hold=locked(Enterprise.objects.filter(pk=enterprise.pk)))

    assert errors_of(outcomes) == []
    latest = current_assessment_of(enterprise=enterprise)
    assert latest is not None and latest.pk in {d.pk for d in drafts}
    enterprise.refresh_from_db()
    assert (enterprise.kept_level, enterprise.kept_level_on) == (latest.level, latest.assessed_on)
    call_command("verify_aggregates", stdout=io.StringIO())  # CommandError on any difference


def test_simultaneous_confirmations_and_edits_in_one_city_keep_the_counters_exact(
    city, sub_industry, assessor, second_assessor, city_official
):
    # Every writer below moves enterprises between the same city's counter rows at once
    # (docs/rules.md "Kept current level", roster counters): each trigger locks its rows in key
    # order, so no deadlock, and each adds its own delta, so none is lost.
    other_sub = SubIndustryFactory(city=city, code="MOLD", name="模具")
    confirmed = EnterpriseFactory.create_batch(4, sub_industry=sub_industry)
    edited = EnterpriseFactory.create_batch(4, sub_industry=sub_industry)
    drafts = [
        AssessmentFactory(
            enterprise=e,
            method=Method.ONSITE,
            purpose=Purpose.POST,
            document=example_document() if i % 2 else top_document(),
        )
        for i, e in enumerate(confirmed)
    ]
    changes: list[dict[str, Any]] = [
        {"sub_industry": other_sub},
        {"above_scale": False},
        {"quality_tier": "little_giant"},
        {"sub_industry": other_sub, "above_scale": False},
    ]
    calls: list[Callable[[], Any]] = [
        partial(assessment_confirm, actor=actor, assessment_id=d.pk)
        for actor, d in zip([assessor, second_assessor] * 2, drafts, strict=True)
    ]
    calls += [
        partial(enterprise_update, enterprise=e, actor=city_official, changes=c)
        for e, c in zip(edited, changes, strict=True)
    ]

    outcomes = run_at_once(calls, hold=locked(RosterCount.objects.filter(city_id=city.pk)))

    assert errors_of(outcomes) == []
    counts = {
        tuple(key): n for *key, n in RosterCount.objects.values_list(*RosterCount.KEY, "n") if n
    }
    roster = Counter(
        (city_id, sub_id, district_id or 0, above, tier, -1 if level is None else level)
        for city_id, sub_id, district_id, above, tier, level in Enterprise.objects.values_list(
            "city_id", "sub_industry_id", "district_id", "above_scale", "quality_tier", "kept_level"
        )
    )
    assert counts == dict(roster)
    assert sum(counts.values()) == 8
    assert Enterprise.objects.filter(kept_level__isnull=False).count() == 4
    call_command("verify_aggregates", stdout=io.StringIO())  # CommandError on any difference


def test_the_confirmation_page_confirms_once_and_sends_every_click_to_the_result(
    enterprise, assessor, second_assessor
):
    """The preview's second step, clicked twice or by two assessors at once (issue 12)."""
    onsite = AssessmentFactory(
        enterprise=enterprise, method=Method.ONSITE, purpose=Purpose.BASELINE, complete=True
    )
    url = f"/assessments/{onsite.pk}/confirm/"
    body = {"edit_version": str(onsite.edit_version)}
    calls = [
        posting(logged_in(actor), url, body, form=True)
        for actor in [assessor, second_assessor] * (N // 2)
    ]

    answers = responses(run_at_once(calls, hold=locked(Assessment.objects.filter(pk=onsite.pk))))

    assert statuses(answers) == [302] * N
    assert {r["Location"] for r in answers} == {f"/assessments/{onsite.pk}/result/"}
    onsite.refresh_from_db()
    assert onsite.state == State.CONFIRMED
    assert onsite.history.filter(history_change_reason="现场评定确认").count() == 1


def test_a_self_assessment_is_returned_once(enterprise, assessor, second_assessor):
    submitted = AssessmentFactory(enterprise=enterprise, submitted=True)
    actors = [assessor, second_assessor] * (N // 2)
    url = f"{API}{submitted.pk}/return/"
    body = {"comment": "请补充 Q2 设备台账"}
    calls = [posting(logged_in(actor), url, body) for actor in actors]

    answers = responses(run_at_once(calls, hold=locked(Assessment.objects.filter(pk=submitted.pk))))

    assert statuses(answers) == [200] + [400] * (N - 1)
    winner = next(a for a, r in zip(actors, answers, strict=True) if r.status_code == 200)
    for refused in (r for r in answers if r.status_code == 400):
        assert "只能退回已提交的企业自评" in messages_of(refused)
    submitted.refresh_from_db()
    assert (submitted.state, submitted.returned_by) == (State.RETURNED, winner)
    assert submitted.history.filter(history_change_reason="退回修改").count() == 1


def test_simultaneous_evidence_uploads_stay_within_the_limits(
    enterprise, enterprise_user, settings, tmp_path
):
    """Four photos for one item at once, two allowed: the count is taken under the assessment's
    row lock, so exactly two are stored (rows and files), the others refused with the limit."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.EVIDENCE_MAX_FILES_PER_ITEM = 2
    draft = AssessmentFactory(enterprise=enterprise)
    url = reverse("assessments:evidence_upload", args=[draft.pk])

    def uploading(n: int) -> Callable[[], Any]:
        client = logged_in(enterprise_user)
        photo = upload(f"{n}.jpg", jpeg((60 * n, 0, 0)))
        return lambda: client.post(
            url, {"item": "Q1", "file": photo}, headers={"HX-Request": "true"}
        )

    calls = [uploading(n) for n in range(N)]
    answers = responses(run_at_once(calls, hold=locked(Assessment.objects.filter(pk=draft.pk))))

    assert statuses(answers) == [200, 200] + [400] * (N - 2)
    for refused in (r for r in answers if r.status_code == 400):
        assert "每题最多上传 2 个佐证材料" in refused.content.decode()
    assert Evidence.objects.filter(assessment=draft, item="Q1").count() == 2
    assert len([p for p in (tmp_path / "private").rglob("*") if p.is_file()]) == 2


def test_simultaneous_project_document_uploads_stay_within_the_limit(
    enterprise, enterprise_user, settings, tmp_path
):
    """Four documents for one project at once, two allowed: the count is taken under the
    project's row lock, so exactly two are stored (rows and files), the others refused."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.PROJECT_DOCUMENT_MAX_FILES = 2
    project = Project.objects.create(enterprise=enterprise, applied_on=timezone.localdate())
    url = reverse("projects:document_upload", args=[project.pk])

    def uploading(n: int) -> Callable[[], Any]:
        client = logged_in(enterprise_user)
        photo = upload(f"{n}.jpg", jpeg((60 * n, 0, 0)))
        return lambda: client.post(url, {"stage": "applied", "doc_type": "other", "file": photo})

    calls = [uploading(n) for n in range(N)]
    answers = responses(run_at_once(calls, hold=locked(Project.objects.filter(pk=project.pk))))

    assert statuses(answers) == [302, 302] + [400] * (N - 2)
    for refused in (r for r in answers if r.status_code == 400):
        assert "每个项目最多上传 2 份材料" in refused.content.decode()
    assert ProjectDocument.objects.filter(project=project).count() == 2
    assert len([p for p in (tmp_path / "private").rglob("*") if p.is_file()]) == 2


def test_a_confirmed_assessment_gets_one_correction_through_the_api(
    enterprise, assessor, second_assessor
):
    """Defect 5: four simultaneous POST …/correct/ made three corrections of one assessment."""
    confirmed = AssessmentFactory(enterprise=enterprise, confirmed=True, confirmed_by=assessor)
    actors = [assessor, second_assessor] * (N // 2)
    url = f"{API}{confirmed.pk}/correct/"
    calls = [posting(logged_in(actor), url) for actor in actors]

    answers = responses(run_at_once(calls, hold=locked(Assessment.objects.filter(pk=confirmed.pk))))

    assert statuses(answers) == [201] + [400] * (N - 1)
    for refused in (r for r in answers if r.status_code == 400):
        assert "已有一份更正" in messages_of(refused)
    correction = Assessment.objects.get(supersedes=confirmed)
    winner, created = next(
        (a, r) for a, r in zip(actors, answers, strict=True) if r.status_code == 201
    )
    assert created.json()["id"] == correction.pk
    assert (correction.state, correction.created_by) == (State.DRAFT, winner)


def test_a_confirmed_assessment_gets_one_correction_from_the_page(enterprise, assessor):
    confirmed = AssessmentFactory(enterprise=enterprise, confirmed=True, confirmed_by=assessor)
    url = reverse("assessments:assessment_correct", args=[confirmed.pk])
    calls = [posting(logged_in(assessor), url, form=True) for _ in range(N)]

    answers = responses(run_at_once(calls, hold=locked(Assessment.objects.filter(pk=confirmed.pk))))

    correction = Assessment.objects.get(supersedes=confirmed)
    # Every click lands on the one correction (the one that lost the race is told it exists).
    assert {(r.status_code, r["Location"]) for r in answers} == {
        (302, reverse("assessments:assessment_detail", args=[correction.pk]))
    }


def test_a_correction_written_past_the_service_is_a_clear_refusal(enterprise, assessor):
    """The database's constraint, not only the service's check, keeps it to one correction.

    Another writer (not the service) inserts a correction and has not committed yet when the
    assessor asks for one: the request gets past its own check and must wait for that writer.
    """
    confirmed = AssessmentFactory(enterprise=enterprise, confirmed=True, confirmed_by=assessor)
    url = f"{API}{confirmed.pk}/correct/"
    other: list[Assessment] = []

    @contextmanager
    def uncommitted_correction() -> Iterator[None]:
        with transaction.atomic():
            other.append(
                AssessmentFactory(
                    enterprise=enterprise,
                    method=Method.ONSITE,
                    purpose=confirmed.purpose,
                    supersedes=confirmed,
                )
            )
            yield

    outcomes = run_at_once([posting(logged_in(assessor), url)], hold=uncommitted_correction())

    [answer] = responses(outcomes)
    assert answer.status_code == 400
    assert "已有一份更正" in messages_of(answer)
    assert list(Assessment.objects.filter(supersedes=confirmed)) == other


# --- imports -------------------------------------------------------------------------------------


@pytest.fixture
def validated_job(settings, tmp_path, city_official, sub_industry):
    """A roster of three enterprises, checked and waiting for the official to confirm it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    upload = SimpleUploadedFile("企业名录.csv", enterprise_file(3))
    response = logged_in(city_official).post(
        "/api/v1/imports/", {"kind": "enterprises", "file": upload, "dry_run": "true"}
    )
    assert response.status_code == 201, response.content
    job = ImportJob.objects.get()
    assert job.state == ImportJobState.VALIDATED
    return job


def test_an_import_is_confirmed_once_through_the_api(validated_job, city_official):
    url = f"/api/v1/imports/{validated_job.pk}/confirm/"
    calls = [posting(logged_in(city_official), url) for _ in range(N)]

    answers = responses(
        run_at_once(calls, hold=locked(ImportJob.objects.filter(pk=validated_job.pk)))
    )

    assert statuses(answers) == [200] + [409] * (N - 1)
    assert_imported_once(validated_job)


def test_an_import_is_confirmed_once_from_the_page(validated_job, city_official):
    url = reverse("cities:import_confirm", args=[validated_job.pk])
    calls = [posting(logged_in(city_official), url, form=True) for _ in range(N)]

    answers = responses(
        run_at_once(calls, hold=locked(ImportJob.objects.filter(pk=validated_job.pk)))
    )

    detail = reverse("cities:import_detail", args=[validated_job.pk])
    assert {(r.status_code, r["Location"]) for r in answers} == {(302, detail)}
    assert_imported_once(validated_job)


def assert_imported_once(job: ImportJob) -> None:
    job.refresh_from_db()
    assert (job.state, job.created_count, job.attempts) == (ImportJobState.DONE, 3, 1)
    assert Enterprise.objects.count() == 3
    assert Enterprise.history.filter(history_type="+").count() == 3


def test_overlapping_subsidy_rules_imported_at_once_are_written_once(city):
    """Each file alone is fine; together their ranges overlap. Without the lock on the city row
    every import would find no rule yet and all would be written."""
    files = [
        kind_file(
            "subsidy_rules",
            [
                {
                    "city_code": city.code,
                    "valid_from": f"2025-0{i + 1}-01",
                    "valid_to": "",
                    "rate": "0.4",
                    "cap_l2": "300000",
                    "cap_l3": "400000",
                    "cap_l4": "500000",
                }
            ],
        )
        for i in range(N)
    ]
    calls = [
        (
            lambda content=content: import_file(
                kind="subsidy_rules", content=content, actor=None, dry_run=False
            )
        )
        for content in files
    ]

    outcomes = run_at_once(calls, hold=locked(PilotCity.objects.filter(pk=city.pk)))

    assert errors_of(outcomes) == []
    results = [o.value for o in outcomes]
    assert sorted(r.written for r in results) == [False] * (N - 1) + [True]
    for refused in (r for r in results if not r.written):
        assert "重叠" in refused.errors[0].message
    assert SubsidyRule.objects.filter(city=city).count() == 1


# --- reports -------------------------------------------------------------------------------------


def test_a_burst_of_identical_report_requests_makes_one_job(
    settings, tmp_path, city, sub_industry, city_official, ministry_user
):
    """(tests/reports/test_jobs.py asks in a row; test_rate_limit.py races one user's limit.)"""
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTS_RENDERER = "tests.reports.fakes.render"
    url = reverse("reports:report_request")
    body = {"kind": "city", "city_code": city.code, "as_of": timezone.localdate().isoformat()}
    actors = [city_official, ministry_user] * (N // 2)
    calls = [posting(logged_in(actor), url, body, form=True) for actor in actors]

    answers = responses(run_at_once(calls, hold=locked(PilotCity.objects.filter(pk=city.pk))))

    job = ReportJob.objects.get()
    detail = reverse("reports:report_detail", args=[job.pk])
    assert {(r.status_code, r["Location"]) for r in answers} == {(302, detail)}
    assert set(job.requesters.all()) == {city_official, ministry_user}


# --- accounts ------------------------------------------------------------------------------------


def test_a_double_clicked_bulk_account_creation_creates_each_account_once(
    city, sub_industry, city_official
):
    """Both requests found the same enterprises without an account; the second one's insert
    hit the unique username: an IntegrityError 500. Now the second waits for the first."""
    enterprises = [EnterpriseFactory(sub_industry=sub_industry) for _ in range(3)]
    url = reverse("cities:account_bulk_create")
    calls = [posting(logged_in(city_official), url, {}, form=True) for _ in range(N)]

    answers = responses(run_at_once(calls))

    assert sorted(r.status_code for r in answers) == [302] * N
    sheets = [r["Location"] for r in answers if "/accounts/bulk/" in r["Location"]]
    assert len(sheets) == 1, [r["Location"] for r in answers]
    accounts = User.objects.filter(role=Role.ENTERPRISE)
    assert sorted(accounts.values_list("enterprise__uscc", flat=True)) == sorted(
        e.uscc for e in enterprises
    )


# --- provider library ----------------------------------------------------------------------------


def test_a_library_status_change_happens_once(city, city_official):
    """Officials warning the same provider at once: one change, the others see it is done."""
    entry = LibraryEntryFactory(city=city)
    url = f"/api/v1/providers/{entry.pk}/status/"
    body = {"status": "warned", "reason": "交付延期"}
    calls = [posting(logged_in(city_official), url, body) for _ in range(N)]

    answers = responses(run_at_once(calls, hold=locked(LibraryEntry.objects.filter(pk=entry.pk))))

    assert statuses(answers) == [200] + [409] * (N - 1)
    for refused in (r for r in answers if r.status_code == 409):
        assert "当前状态已是“警示”" in messages_of(refused)
    entry.refresh_from_db()
    assert entry.status == "warned"
    assert list(entry.changes.values_list("from_status", "to_status")) == [
        ("active", "warned"),
        ("", "active"),
    ]


# --- funds ledger --------------------------------------------------------------------------------


def test_two_expenses_that_together_break_the_other_uses_limit_one_is_refused(city, city_official):
    """Each of the N expenses fits under the 20% limit alone, two do not: one is booked, the
    others are refused with the figures (the city row is locked while the limit is checked)."""
    day = dt.date(2025, 3, 1)
    funds_services.book_receipt(
        actor=city_official,
        city=city,
        entry_on=day,
        source="central",
        amount=Decimal("1000000.00"),
        reference="Z-1",
    )

    def book(n: int) -> Callable[[], Any]:
        return lambda: funds_services.book_expense(
            actor=city_official,
            city=city,
            entry_on=day,
            source="central",
            category="platform",
            amount=Decimal("150000.00"),
            reference=f"Z-{n + 100}",
        )

    outcomes = run_at_once(
        [book(n) for n in range(N)], hold=locked(PilotCity.objects.filter(pk=city.pk))
    )

    booked = [o for o in outcomes if o.error is None]
    refused = [o.error for o in outcomes if o.error is not None]
    assert len(booked) == 1
    assert all(isinstance(e, Invalid) and "上限" in e.message for e in refused)
    assert len(refused) == N - 1
    assert LedgerEntry.objects.filter(kind="expense").count() == 1
