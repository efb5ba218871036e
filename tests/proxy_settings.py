"""Settings of the gunicorn `tests/test_behind_proxy.py` starts: production, unchanged, except
static files, which are served from the finders (a test cannot wait minutes for collectstatic
and its compressed, hashed manifest)."""

from sme_pilot.settings.production import *  # noqa: F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
