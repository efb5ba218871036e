from __future__ import annotations

import pytest

from reports import services
from reports.models import ReportJobState
from tests.reports import fakes


@pytest.fixture
def renderer(settings, tmp_path) -> fakes.Recorder:
    """Reports render with the fake renderer into a temporary MEDIA_ROOT; returns its recorder."""
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTS_RENDERER = "tests.reports.fakes.render"
    fakes.RECORDER = fakes.Recorder()
    return fakes.RECORDER


@pytest.fixture
def failed_city_job(renderer, city_official, city, django_capture_on_commit_callbacks):
    """呼和浩特's city report, asked for by its official, every render of which failed."""
    renderer.fail = 99
    with django_capture_on_commit_callbacks(execute=True):
        job = services.report_request(actor=city_official, kind="city", city_code="HHHT")
    job.refresh_from_db()
    assert job.state == ReportJobState.FAILED
    return job
