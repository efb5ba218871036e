"""Test settings: fast hashing; the database and Redis come from the environment like anywhere."""

import os

from .base import *  # noqa: F403
from .base import REDIS_URL, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = BASE_DIR / ".test-media"
PRIVATE_MEDIA_ROOT = BASE_DIR / ".test-private"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests that are about background work start a real worker themselves; elsewhere run inline.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_EAGER", default=True)
CELERY_BROKER_URL = REDIS_URL or "memory://"
# A queue of this test process's own, so parallel runs on one Redis never take each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default=f"sme-test-{os.getpid()}")
REPORTS_PDF_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}.pdf"
CELERY_TASK_ROUTES = {"reports.render_report_job": {"queue": REPORTS_PDF_QUEUE}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# No collectstatic in tests: WhiteNoise finds files through the finders, as in development.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# A test database needs no durability: on PostgreSQL a commit returns before its WAL reaches the
# disk (synchronous_commit=off: still consistent, a crash would lose only the last commits; WAL
# positions, hence the replica's read-your-writes checks, are unchanged). 5% off a run of
# tests/cities with the pipeline's browser test: 85.3 s -> 81.0 s, twice each.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c synchronous_commit=off".strip()
