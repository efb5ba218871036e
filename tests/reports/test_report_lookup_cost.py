"""A report job's status is polled every second: its lookup must not grow with the assessments.

Found by bench/load.py: the scope's `assessment__in` subquery made PostgreSQL hash every
assessment the user may see (~50 ms at national scale) on each poll; a correlated EXISTS looks
up the job's own assessment only.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import selectors, services
from reports.models import ReportJobState
from sme_pilot.errors import NotFound
from tests.assessments.factories import AssessmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fake_renderer(renderer):
    return renderer


@pytest.fixture
def national_job(ministry_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.report_request(actor=ministry_user, kind="national")
    job.refresh_from_db()
    assert job.state == ReportJobState.DONE
    return job


def test_job_lookup_checks_only_the_jobs_own_assessment(ministry_user, national_job):
    with CaptureQueriesContext(connection) as queries:
        assert selectors.report_job_get_visible(user=ministry_user, pk=national_job.pk)
    (sql,) = [q["sql"] for q in queries.captured_queries]
    assert "EXISTS" in sql
    assert '"assessment_id" IN (SELECT' not in sql


def test_progress_poll_query_count_does_not_grow_with_assessments(
    client, ministry_user, national_job, enterprise, django_assert_num_queries
):
    client.force_login(ministry_user)
    url = reverse("reports:report_progress", args=[national_job.pk])
    client.get(url)  # session and user loaded once, as on every later poll
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    AssessmentFactory.create_batch(5, enterprise=enterprise, submitted=True)
    with django_assert_num_queries(len(before)):
        assert client.get(url).status_code == 200


def test_assessment_reports_stay_scoped(
    client, ministry_user, enterprise_user, other_enterprise_user, enterprise
):
    assessment = AssessmentFactory(enterprise=enterprise, submitted=True)
    job = services.report_request(
        actor=ministry_user, kind="assessment", assessment_id=assessment.pk
    )
    assert selectors.report_job_get_visible(user=enterprise_user, pk=job.pk) == job
    with pytest.raises(NotFound):
        selectors.report_job_get_visible(user=other_enterprise_user, pk=job.pk)
