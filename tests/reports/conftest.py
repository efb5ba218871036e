from __future__ import annotations

import pytest

from tests.reports import fakes


@pytest.fixture
def renderer(settings, tmp_path) -> fakes.Recorder:
    """Reports render with the fake renderer into a temporary MEDIA_ROOT; returns its recorder."""
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTS_RENDERER = "tests.reports.fakes.render"
    fakes.RECORDER = fakes.Recorder()
    return fakes.RECORDER
