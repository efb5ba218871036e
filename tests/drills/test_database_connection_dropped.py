"""Drill: the PostgreSQL connection of a request is killed in the middle of its write.

A SHARE lock on the audit-trail (history) table stops the request's transaction right after it
has written the rows themselves; another connection then terminates the request's backend with
`pg_terminate_backend`, exactly as a failover or a dropped connection would. The user must get a
clean 503 (a Chinese page, or JSON on /api/), nothing half-written may remain, and the next
request must work on a fresh connection.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import Assessment, State
from cities.imports import jobs
from cities.models import Enterprise, ImportJob, ImportJobState
from tests.assessments.factories import AssessmentFactory, complete_answers
from tests.cities.import_files import enterprise_file
from tests.conftest import skip_without_worker_services
from tests.drills.conftest import TableGate, backend_pid

pytestmark = [
    pytest.mark.drill,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    skip_without_worker_services,
]

MESSAGE = "数据库连接中断，请稍后重试"
ROWS = 1500


def assert_clean_503_page(response) -> None:
    body = response.content.decode()
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"]
    assert "服务暂不可用" in body and MESSAGE in body
    assert "Traceback" not in body and "OperationalError" not in body


def test_import_confirm_killed_mid_write_writes_nothing_and_can_be_confirmed_again(
    client, settings, caplog, city_official, sub_industry, drill_media
):
    settings.IMPORT_ASYNC_THRESHOLD_BYTES = 50 * 1024 * 1024  # in the request, not a worker
    client.force_login(city_official)
    upload = SimpleUploadedFile("名录.csv", enterprise_file(ROWS))
    client.post(reverse("cities:import_list"), {"kind": "enterprises", "file": upload})
    job = ImportJob.objects.get()
    assert (job.state, job.run_async, job.created_count) == (ImportJobState.VALIDATED, False, ROWS)
    request_pid = backend_pid()

    with TableGate("cities_historicalenterprise", terminate=True) as gate:
        response = client.post(reverse("cities:import_confirm", args=[job.pk]))

    assert gate.error is None and gate.victim is not None, gate.error
    # The request's own backend was killed while copying the audit trail (INSERT … SELECT from
    # the rows it had just written).
    assert gate.victim.pid == request_pid
    assert gate.victim.query.startswith('INSERT INTO "cities_historicalenterprise"')
    assert "cities_enterprise" in gate.victim.written
    assert_clean_503_page(response)
    logged = [r for r in caplog.records if r.name == "sme_pilot.faults"]
    assert [r.levelname for r in logged] == ["ERROR"]
    assert "database unavailable during POST /imports/" in logged[0].getMessage()
    assert Enterprise.objects.count() == 0
    assert Enterprise.history.count() == 0
    job.refresh_from_db()
    assert (job.state, job.attempts) == (ImportJobState.VALIDATED, 1)
    assert job.progress_message == jobs.APPLY_INTERRUPTED_MESSAGE

    # The next requests run on a new connection: the page shows the job, confirming imports it.
    assert backend_pid() != request_pid
    assert client.get(reverse("cities:import_detail", args=[job.pk])).status_code == 200
    response = client.post(reverse("cities:import_confirm", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.state, job.created_count) == (ImportJobState.DONE, ROWS)
    assert Enterprise.objects.count() == ROWS
    assert Enterprise.history.count() == ROWS


def test_api_autosave_killed_mid_write_is_a_json_503_and_saves_nothing(client, enterprise_user):
    draft = AssessmentFactory(enterprise=enterprise_user.enterprise)
    client.force_login(enterprise_user)
    url = f"/api/v1/assessments/{draft.pk}/"
    body = {"answers": {"Q2": "C", "Q14": "B"}, "scenes": {"S01": 3}, "base_version": 0}
    history_before = Assessment.history.filter(id=draft.pk).count()
    request_pid = backend_pid()

    with TableGate("assessments_historicalassessment", terminate=True) as gate:
        response = client.patch(url, body, content_type="application/json")

    assert gate.error is None and gate.victim is not None, gate.error
    assert gate.victim.pid == request_pid
    assert gate.victim.query.startswith('INSERT INTO "assessments_historicalassessment"')
    assert "assessments_assessment" in gate.victim.written  # the first answer's UPDATE ran
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": MESSAGE}
    draft.refresh_from_db()
    assert (draft.answers, draft.scenes, draft.edit_version) == ({}, {}, 0)
    assert Assessment.history.filter(id=draft.pk).count() == history_before

    # Saved on the retry, all three answers together.
    response = client.patch(url, body, content_type="application/json")
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.answers == {"Q2": "C", "Q14": "B"} and draft.scenes == {"S01": 3}
    assert draft.edit_version == 3


def test_submit_page_killed_mid_write_is_a_503_page_and_stays_a_draft(client, enterprise_user):
    answers, scenes, data = complete_answers()
    draft = AssessmentFactory(
        enterprise=enterprise_user.enterprise, answers=answers, scenes=scenes, data=data
    )
    client.force_login(enterprise_user)
    url = reverse("assessments:assessment_submit", args=[draft.pk])
    form = {"signer_name": "王经理", "signer_title": "总经理", "pledge": "on"}
    request_pid = backend_pid()

    with TableGate("assessments_historicalassessment", terminate=True) as gate:
        response = client.post(url, form)

    assert gate.error is None and gate.victim is not None, gate.error
    assert gate.victim.pid == request_pid
    assert "assessments_assessment" in gate.victim.written
    assert_clean_503_page(response)
    draft.refresh_from_db()
    assert (draft.state, draft.submitted_at, draft.level) == (State.DRAFT, None, None)

    response = client.post(url, form)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED and draft.level is not None
