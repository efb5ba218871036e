"""A large upload goes through a real Celery worker (Redis + PostgreSQL), polled like a browser."""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cities.models import Enterprise, ImportJob
from tests.cities.import_files import enterprise_file
from tests.conftest import wait_for

NEEDS = "needs Redis (REDIS_URL) and PostgreSQL (DATABASE_URL)"
HAS_SERVICES = bool(os.environ.get("REDIS_URL")) and os.environ.get("DATABASE_URL", "").startswith(
    ("postgres://", "postgresql://")
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # Skip before any fixture runs: a transactional test that is set up and then skipped still
    # flushes the database. In CI the `celery_worker` fixture fails loudly instead.
    pytest.mark.skipif(not HAS_SERVICES and not os.environ.get("CI"), reason=NEEDS),
]


def test_large_upload_is_validated_and_imported_by_a_worker(
    celery_worker, client, settings, city_official, sub_industry
):
    settings.IMPORT_ASYNC_THRESHOLD_BYTES = 1000
    client.force_login(city_official)
    content = enterprise_file(3000)
    response = client.post(
        reverse("import_list"),
        {"kind": "enterprises", "file": SimpleUploadedFile("大名录.csv", content)},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.run_async
    try:

        def state_is(state):
            def check():
                job.refresh_from_db()
                return job.state == state

            return check

        wait_for(state_is("validated"), what="the worker to validate the file")
        assert (job.created_count, job.progress_percent) == (3000, 100)
        assert not Enterprise.objects.exists()

        client.post(reverse("import_confirm", args=[job.pk]))
        wait_for(state_is("done"), what="the worker to import the file")
        assert Enterprise.objects.filter(city=city_official.city).count() == 3000
        assert Enterprise.history.filter(history_user=city_official).count() == 3000
        fragment = client.get(
            reverse("import_progress", args=[job.pk]), headers={"HX-Request": "true"}
        )
        assert fragment.headers.get("HX-Refresh") == "true"
    finally:
        job.file.delete(save=False)
