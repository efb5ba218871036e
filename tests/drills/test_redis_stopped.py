"""Drill: Redis stops while enterprises keep answering and an official asks for a report.

The test starts a `redis-server` of its own and points this process's cache (the production
backend, `sme_pilot.cache.DegradingRedisCache`) and Celery broker at it, then stops it. With
Redis gone: an enterprise signs in and keeps answering (page autosave and the API), an official
opens the dashboard (cached figures) and imports a small roster (which invalidates them), and
requests a report, which stays queued. Then Redis comes back on the same port, a real worker
starts on it, the sweeper runs as celery beat would, and the report is rendered, once.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cities.imports.jobs import import_jobs_sweep
from cities.models import Enterprise, ImportJob, ImportJobState
from reports import services
from reports.models import ReportJob, ReportJobState
from sme_pilot import cache as degrading_cache
from tests.assessments.factories import AssessmentFactory
from tests.cities.import_files import enterprise_file
from tests.conftest import skip_without_worker_services, wait_for
from tests.drills.conftest import PrivateRedis, point_celery_at

pytestmark = [
    pytest.mark.drill,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    skip_without_worker_services,
]

PASSWORD = "Sme-pilot-2026!"  # tests.cities.factories.UserFactory


def roster(rows: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("名录.csv", enterprise_file(rows))


@pytest.fixture
def on_private_redis(private_redis: PrivateRedis, settings) -> Iterator[PrivateRedis]:
    """This process's cache and Celery broker on the private Redis (as production, on one)."""
    from sme_pilot.celery import app

    settings.CACHES = {
        "default": {
            "BACKEND": "sme_pilot.cache.DegradingRedisCache",
            "LOCATION": private_redis.url,
            "KEY_PREFIX": "drill",
        }
    }
    original_broker = app.conf.broker_url
    point_celery_at(private_redis.url)
    try:
        yield private_redis
    finally:
        point_celery_at(original_broker)
        degrading_cache._down_until.clear()


def test_answers_are_saved_and_reports_wait_while_redis_is_down(
    on_private_redis,
    start_celery_worker,
    caplog,
    drill_media,
    client,
    settings,
    enterprise_user,
    city_official,
    sub_industry,
):
    redis = on_private_redis
    draft = AssessmentFactory(enterprise=enterprise_user.enterprise)
    client.force_login(city_official)
    dashboard = reverse("oversight:city_dashboard", args=["HHHT"])
    assert client.get(dashboard).status_code == 200
    assert redis.dbsize() > 0  # the dashboard figures really are cached in this Redis

    redis.stop()

    # An enterprise signs in (sessions, django-axes) and keeps answering, on the page and by API.
    ent = Client()
    response = ent.post(reverse("accounts:login"), {"username": "ent", "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    response = ent.post(
        reverse("assessments:assessment_autosave", args=[draft.pk]),
        {"field": "Q2", "value": "C", "base_version": 0},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "已保存" in response.content.decode()
    response = ent.patch(
        f"/api/v1/assessments/{draft.pk}/",
        {"answers": {"Q14": "B"}, "scenes": {"S01": 3}, "base_version": 1},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert (draft.answers, draft.scenes) == ({"Q2": "C", "Q14": "B"}, {"S01": 3})
    assert draft.edit_version == 3

    # The official: the dashboard is computed without the cache; a small roster import commits
    # and its cache invalidation (after commit) does not turn the response into an error.
    assert client.get(dashboard).status_code == 200
    settings.IMPORT_ASYNC_THRESHOLD_BYTES = 10 * 1024 * 1024
    response = client.post(
        reverse("cities:import_list"), {"kind": "enterprises", "file": roster(5)}
    )
    assert response.status_code == 302
    small = ImportJob.objects.get()
    assert small.state == ImportJobState.VALIDATED
    assert client.post(reverse("cities:import_confirm", args=[small.pk])).status_code == 302
    small.refresh_from_db()
    assert small.state == ImportJobState.DONE
    assert Enterprise.objects.filter(city=city_official.city).count() == 1 + 5
    warnings = [r.getMessage() for r in caplog.records if r.name == "sme_pilot.cache"]
    assert warnings and all(m.startswith("cache unavailable") for m in warnings)
    assert len(warnings) <= 3  # once per pause (RETRY_AFTER), not once per cache call
    # A large file, for a worker: stored and accepted; it waits, since it could not be enqueued.
    settings.IMPORT_ASYNC_THRESHOLD_BYTES = 1000
    response = client.post(
        reverse("cities:import_list"), {"kind": "enterprises", "file": roster(200)}
    )
    assert response.status_code == 302
    large = ImportJob.objects.exclude(pk=small.pk).get()
    assert (large.run_async, large.state, large.attempts) == (True, ImportJobState.UPLOADED, 0)

    # A report requested now is accepted and waits: it could not be sent to a worker.
    response = client.post(reverse("reports:report_request"), {"kind": "city", "city_code": "HHHT"})
    assert response.status_code == 302
    job = ReportJob.objects.get()
    assert (job.state, job.enqueued_at, job.attempts) == (ReportJobState.QUEUED, None, 0)
    page = client.get(reverse("reports:report_detail", args=[job.pk])).content.decode()
    assert "排队" in page

    # Redis is back (empty: it kept nothing), a worker starts, the sweeper runs as beat would.
    redis.start()
    start_celery_worker({**drill_media, "REDIS_URL": redis.url})
    later = timezone.now() + dt.timedelta(minutes=10)
    assert services.report_jobs_sweep(now=later) == {"failed": 0, "requeued": 0, "enqueued": 1}
    assert import_jobs_sweep(now=later) == {"failed": 0, "requeued": 0, "enqueued": 1}

    def done():
        job.refresh_from_db()
        return job.state == ReportJobState.DONE

    wait_for(done, timeout=90, what="the worker to render the report")
    assert job.attempts == 1
    folder = default_storage.path("reports")
    assert sorted(os.listdir(folder)) == [os.path.basename(job.file.name)]
    with job.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"

    wait_for(
        lambda: ImportJob.objects.get(pk=large.pk).state == ImportJobState.VALIDATED,
        what="the worker to validate the large file",
    )

    # The cache uses Redis again once the backend's pause after the outage is over.
    def cache_works():
        cache.set("drill:probe", "ok", 30)
        return cache.get("drill:probe") == "ok"

    wait_for(cache_works, timeout=15, what="the cache to use Redis again")
    assert redis.dbsize() > 0
