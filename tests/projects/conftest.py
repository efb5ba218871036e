"""Fixtures shared by the pipeline tests (service, pages)."""

from __future__ import annotations

import pytest


@pytest.fixture
def pipeline_files(settings, tmp_path):
    """Project documents go to a private root of the test's own."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def firm(enterprise, district, pipeline_files):
    """Enterprise A1 in district D1 (the district official's), ready to go through the pipeline."""
    enterprise.district = district
    enterprise.save()
    return enterprise
