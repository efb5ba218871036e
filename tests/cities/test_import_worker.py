"""A large upload goes through a real Celery worker (Redis + PostgreSQL), polled like a browser."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cities.models import Enterprise, ImportJob
from tests.cities.import_files import enterprise_file
from tests.conftest import skip_without_worker_services, wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    skip_without_worker_services,
]


def test_large_upload_is_validated_and_imported_by_a_worker(
    celery_worker, client, settings, city_official, sub_industry
):
    settings.IMPORT_ASYNC_THRESHOLD_BYTES = 1000
    client.force_login(city_official)
    content = enterprise_file(3000)
    response = client.post(
        reverse("cities:import_list"),
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

        client.post(reverse("cities:import_confirm", args=[job.pk]))
        wait_for(state_is("done"), what="the worker to import the file")
        assert Enterprise.objects.filter(city=city_official.city).count() == 3000
        assert Enterprise.history.filter(history_user=city_official).count() == 3000
        fragment = client.get(
            reverse("cities:import_progress", args=[job.pk]), headers={"HX-Request": "true"}
        )
        assert fragment.headers.get("HX-Refresh") == "true"
    finally:
        job.file.delete(save=False)
