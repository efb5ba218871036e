"""Settings shared by every environment, read from the environment (django-environ).

No DATABASE_URL means a SQLite file next to the project; no REDIS_URL means Celery tasks run
eagerly in-process and the cache is process-local. Production requires both (see production.py).
"""

from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

# Lets generic Django classes be subscripted at run time (ModelForm[Enterprise], QuerySet[...]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "simple_history",
    # django-axes, with its Chinese names (accounts.apps.AxesConfig).
    "accounts.apps.AxesConfig",
    "csp",
    "sme_pilot",
    "accounts",
    "notifications",
    "cities",
    "assessments",
    "providers",
    "projects",
    "funds",
    "oversight",
    "reports",
    "demo",
]

MIDDLEWARE = [
    # First: every response, redirects included, carries the request id and is in the access log.
    "sme_pilot.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response, 503 and error pages included (settings below).
    "csp.middleware.CSPMiddleware",
    # NUL and other control characters in the path, query string or form fields: 400 here.
    "sme_pilot.middleware.ControlCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A database connection lost under a view: 503 page or JSON, logged, connection dropped.
    "sme_pilot.faults.DatabaseUnavailableMiddleware",
    # With a read replica: after a request that wrote, the next reads wait for it (sme_pilot.db).
    "sme_pilot.db.ReadYourWritesMiddleware",
    # Cache-Control: private, no-store on every response about a user (sme_pilot.headers).
    "sme_pilot.headers.PrivateCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    # Domain errors a view did not catch become the page for their status (sme_pilot.errors).
    "sme_pilot.errors.DomainErrorMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]
# Pages load only our own and vendored files (static/vendor): no inline script or style
# anywhere, no eval. One view relaxes it for itself: the Redoc API docs (sme_pilot.urls).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "sme_pilot.urls"
WSGI_APPLICATION = "sme_pilot.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # `can`: what the signed-in user's pages may offer (accounts.policy).
                "accounts.policy.can",
                # `assessor_queue_count`: the assessor's 待评定 count in the navigation.
                "assessments.context_processors.assessor_queue",
                # `work_queue_count`: the pipeline's 待办 count in the navigation (projects'
                # queues, kept in the dashboard cache by oversight).
                "oversight.context_processors.work_queue",
                # `report_names`: each report's one name, for its request buttons (reports).
                "reports.context_processors.report_names",
                # `notification_unread`: the bell's unread count in the navigation.
                "notifications.context_processors.bell",
            ],
        },
    },
]

DATABASE_URL = env("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles the dashboards' aggregate queries for ~0.4 s each time and
    # saves less than it costs at our sizes (bench/compliance.py: 1.1 s → 0.45 s without it).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
# Behind PgBouncer in transaction pooling (docs/deploy.md): `.iterator()` must not open a
# server-side cursor, which would outlive the transaction its server connection was lent for.
DB_DISABLE_SERVER_SIDE_CURSORS = env.bool("DB_DISABLE_SERVER_SIDE_CURSORS", default=False)
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = DB_DISABLE_SERVER_SIDE_CURSORS
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Reads on a streaming replica (issue 17, docs/deploy.md "Read replica"): optional. Only blocks
# marked `sme_pilot.db.replica_reads()` (dashboards, exports, report snapshots) read there, and
# only while the replica answers and has replayed the reader's own last write; everything else,
# and every write, goes to the primary. Unset: one database, nothing changes.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="").strip()
# Seconds the replica is left alone after a connection error (reads go to the primary meanwhile).
DATABASE_REPLICA_RETRY_SECONDS = env.float("DATABASE_REPLICA_RETRY_SECONDS", default=10.0)
# Seconds to wait for a connection to the replica before reading the primary instead.
DATABASE_REPLICA_CONNECT_TIMEOUT = env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=2)
DATABASE_ROUTERS = ["sme_pilot.db.ReplicaRouter"]


def replica_database(default: dict[str, Any], url: str) -> dict[str, Any] | None:
    """The `replica` alias for DATABASES: the primary's options (jit off, connection age, cursors),
    a short connect timeout, and, in tests, a mirror of the primary (tests that need a real replica
    start one: tests/test_replica.py)."""
    if not url:
        return None
    replica = environ.Env.db_url_config(url)
    options = dict(replica.get("OPTIONS", {}))
    options.update(default.get("OPTIONS", {}))
    options["connect_timeout"] = DATABASE_REPLICA_CONNECT_TIMEOUT
    replica["OPTIONS"] = options
    replica["ATOMIC_REQUESTS"] = False
    replica["CONN_MAX_AGE"] = default.get("CONN_MAX_AGE", 0)
    replica["DISABLE_SERVER_SIDE_CURSORS"] = default.get("DISABLE_SERVER_SIDE_CURSORS", False)
    replica["TEST"] = {"MIRROR": "default"}
    return replica


if _replica := replica_database(DATABASES["default"], DATABASE_REPLICA_URL):
    DATABASES["replica"] = _replica

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Every password change goes through these: a new password equal to the current one is not.
    {"NAME": "accounts.password_validation.NotCurrentPasswordValidator"},
]
# A second 重置密码 of one account within this many seconds is refused (cities.services.accounts):
# the password already shown to whoever reset it first stays the one that works.
ACCOUNT_RESET_MIN_INTERVAL_SECONDS = env.int("ACCOUNT_RESET_MIN_INTERVAL_SECONDS", default=60)
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "cities:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# django-axes: lock a username from one IP after repeated failures, with a cool-off.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
# Behind nginx (docs/deploy.md) the client's address arrives in X-Real-IP, set by nginx itself;
# without a proxy that header would be the client's word, so it is ignored. One function reads
# it for axes and for our logs (sme_pilot.observability.client_ip), at call time.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
CLIENT_IP_META_ORDER = ("HTTP_X_REAL_IP", "REMOTE_ADDR") if BEHIND_PROXY else ("REMOTE_ADDR",)
AXES_CLIENT_IP_CALLABLE = "sme_pilot.observability.client_ip"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Evidence files (佐证材料): outside the web root, not under STATIC_ROOT or MEDIA_ROOT, served by
# nothing but the permission-checked download view (sme_pilot.storage, docs/deploy.md).
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads: files above this stay on disk while they stream in; imports refuse larger ones.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Any request body with files above this is refused before it is read (sme_pilot.uploads); nginx
# refuses the same size (client_max_body_size). Each upload kind has its own, lower file limit.
UPLOAD_MAX_BODY_BYTES = env.int("UPLOAD_MAX_BODY_BYTES", default=45 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "sme_pilot.uploads.BodyLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Evidence files per questionnaire item (assessments.services.evidence_add): bytes per file,
# files per item and per assessment.
EVIDENCE_MAX_FILE_BYTES = env.int("EVIDENCE_MAX_FILE_BYTES", default=10 * 1024 * 1024)
EVIDENCE_MAX_FILES_PER_ITEM = env.int("EVIDENCE_MAX_FILES_PER_ITEM", default=10)
EVIDENCE_MAX_FILES_PER_ASSESSMENT = env.int("EVIDENCE_MAX_FILES_PER_ASSESSMENT", default=200)
# Project documents (一企一档, projects.services.documents): bytes per file, files per project.
PROJECT_DOCUMENT_MAX_FILE_BYTES = env.int(
    "PROJECT_DOCUMENT_MAX_FILE_BYTES", default=20 * 1024 * 1024
)
PROJECT_DOCUMENT_MAX_FILES = env.int("PROJECT_DOCUMENT_MAX_FILES", default=100)
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=40 * 1024 * 1024)
# What reading an uploaded file may cost (docs/rules.md §3.2): an XLSX unpacking to more than
# this, or any file with more rows (blank ones included), is refused.
IMPORT_MAX_UNZIPPED_BYTES = env.int("IMPORT_MAX_UNZIPPED_BYTES", default=256 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
# Web/API uploads above either threshold (bytes once unzipped; CSV lines) are validated and
# imported by a Celery task with progress; smaller ones within the request.
IMPORT_ASYNC_THRESHOLD_BYTES = env.int("IMPORT_ASYNC_THRESHOLD_BYTES", default=512 * 1024)
IMPORT_ASYNC_THRESHOLD_ROWS = env.int("IMPORT_ASYNC_THRESHOLD_ROWS", default=5000)
# Rows a streaming import kind plans and writes at a time (cities.imports.registry.Kind.streams):
# what an import holds in memory is about this many rows, whatever the file's size.
IMPORT_CHUNK_ROWS = env.int("IMPORT_CHUNK_ROWS", default=50_000)
# Uploads one user may make per hour, by page or API (counted from the import jobs).
IMPORT_UPLOADS_PER_HOUR = env.int("IMPORT_UPLOADS_PER_HOUR", default=30)

REDIS_URL = env("REDIS_URL", default="").strip()


def redis_caches(location: str) -> dict[str, dict[str, Any]]:
    """The cache on Redis; production.py uses the same. Socket timeouts: sme_pilot/cache.py."""
    return {
        "default": {
            # A Redis outage reads as an empty cache (logged), not as failed requests.
            "BACKEND": "sme_pilot.cache.DegradingRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="sme"),
        }
    }


CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
else:
    # Without Redis (the zero-setup run), one process's memory. The dashboards cache a few
    # entries per city, kind and day plus a token per city: at 100 cities that is well above
    # LocMemCache's default of 300 entries, whose culling would drop a third of them at a time
    # and make every national page a miss.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 15 * 60
CELERY_TASK_TIME_LIMIT = 20 * 60
# Above the hard time limit, so a long task is not redelivered while it still runs. Socket
# timeouts: an unreachable Redis fails an enqueue in seconds (the job stays queued for the
# sweepers) instead of holding the request.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
    "visibility_timeout": 30 * 60,
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="sme_pilot")
# PDF rendering is slow and memory-hungry: its own queue, so its workers are sized, recycled
# (--max-tasks-per-child) and scaled apart from the light tasks (imports, sweeps).
REPORTS_PDF_QUEUE = env("CELERY_PDF_QUEUE", default=f"{CELERY_TASK_DEFAULT_QUEUE}.pdf")
CELERY_TASK_ROUTES = {
    "reports.render_report_job": {"queue": REPORTS_PDF_QUEUE},
    "reports.pack_dossier_archive": {"queue": REPORTS_PDF_QUEUE},
}
CELERY_TIMEZONE = TIME_ZONE
# Workers log through LOGGING above (request ids, JSON), not through Celery's own set-up.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Puts back report jobs a dead worker left behind, fails those out of attempts (reports.services).
CELERY_BEAT_SCHEDULE = {
    "reports-sweep-report-jobs": {"task": "reports.sweep_report_jobs", "schedule": 60.0},
    # The same for import jobs: a killed worker's or request's import, never-enqueued uploads.
    "cities-sweep-import-jobs": {"task": "cities.sweep_import_jobs", "schedule": 60.0},
    # The same for 一企一档 archives (reports.dossier_archive).
    "reports-sweep-dossier-archives": {"task": "reports.sweep_dossier_archives", "schedule": 60.0},
    # Notifications (issue 16): mails due or left behind, the daily deadline reminders and
    # digests, and the 180-day cleanup.
    "notifications-sweep-mail": {"task": "notifications.sweep_mail", "schedule": 60.0},
    "oversight-notify-deadlines": {
        "task": "oversight.notify_deadlines",
        "schedule": crontab(hour=7, minute=30),
    },
    "notifications-send-digests": {
        "task": "notifications.send_digests",
        "schedule": crontab(hour=8, minute=0),
    },
    "notifications-cleanup": {
        "task": "notifications.cleanup",
        "schedule": crontab(hour=3, minute=15),
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["sme_pilot.api.IsActiveAccount"],
    # JSON only, depth-limited, control characters refused (sme_pilot.inputs); imports add
    # the multipart parsers they need.
    "DEFAULT_PARSER_CLASSES": ["sme_pilot.inputs.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "sme_pilot.api.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Domain errors raised by services (sme_pilot.errors) become 400/403/404/409/429 here.
    "EXCEPTION_HANDLER": "sme_pilot.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "中小企业数字化转型城市试点 API",
    "DESCRIPTION": "sme-pilot: 试点城市、企业名录、批量导入、评测与报告。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["sme_pilot.api.IsActiveAccount"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `kind`; the reports' is named so, not by a hash of its values.
    "ENUM_NAME_OVERRIDES": {"ReportKindEnum": "reports.choices.ReportKind"},
}

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Logs: every line carries the request id (sme_pilot.observability). LOG_FORMAT=json in
# production. With LOG_DIR set, the access and security logs also go to their own files there,
# reopened after logrotate moves them (deploy/logrotate/sme-pilot keeps them 190 days).
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOG_DIR = env("LOG_DIR", default="")
LOGGING: dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "sme_pilot.observability.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "sme_pilot.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Without LOG_DIR (development) runserver prints its own access lines.
        "sme_pilot.access": {
            "level": env("ACCESS_LOG_LEVEL", default="INFO" if LOG_DIR else "WARNING")
        },
        "sme_pilot.security": {"level": "INFO"},
        # Our own loggers keep their level even where a tool (celery -l warning) raises root's.
        **{
            app: {"level": env("LOG_LEVEL", default="INFO")}
            for app in ("accounts", "cities", "assessments", "oversight", "reports", "demo")
        },
    },
}
if LOG_DIR:
    for _name in ("access", "security"):
        LOGGING["handlers"][f"{_name}_file"] = {
            "class": "logging.handlers.WatchedFileHandler",
            "filename": str(Path(LOG_DIR) / f"{_name}.log"),
            "formatter": "json",
            "filters": ["request_id"],
            "encoding": "utf-8",
        }
        LOGGING["loggers"][f"sme_pilot.{_name}"]["handlers"] = [f"{_name}_file"]
    # Access lines only in their file; security lines in their file and on the console.
    LOGGING["loggers"]["sme_pilot.access"]["propagate"] = False
# LOG_FILE: every line (web, workers, beat) also as JSON in this file, for hosts without journald.
LOG_FILE = env("LOG_FILE", default="")
if LOG_FILE:
    LOGGING["handlers"]["file"] = {
        "class": "logging.handlers.WatchedFileHandler",
        "filename": LOG_FILE,
        "formatter": "json",
        "filters": ["request_id"],
        "encoding": "utf-8",
    }
    LOGGING["root"]["handlers"].append("file")

# The earliest `as_of` a dashboard, report or command accepts (sme_pilot.inputs.parse_as_of).
AS_OF_EARLIEST = "2023-01-01"

# New report renders a user may request per hour (reports.services; reusing a job is free).
REPORTS_REQUESTS_PER_HOUR = env.int("REPORTS_REQUESTS_PER_HOUR", default=30)
# The function that turns a report snapshot into PDF bytes, as a dotted path (tests name a fake).
REPORTS_RENDERER = env("REPORTS_RENDERER", default="reports.rendering.render_pdf")
# 一企一档批量下载 (reports.dossier_archive): the most enterprises in one ZIP (more: a clear
# refusal suggesting a filter), new archives a user may request per hour, and the seconds one
# task renders before it queues the rest as a new task (each task stays far below its limit).
DOSSIER_ZIP_MAX_ENTERPRISES = env.int("DOSSIER_ZIP_MAX_ENTERPRISES", default=2000)
DOSSIER_ZIP_REQUESTS_PER_HOUR = env.int("DOSSIER_ZIP_REQUESTS_PER_HOUR", default=10)
DOSSIER_ZIP_SLICE_SECONDS = env.int("DOSSIER_ZIP_SLICE_SECONDS", default=240)
# …and the most dossiers one task renders (its memory grows a little with each: bench/README).
DOSSIER_ZIP_SLICE_DOSSIERS = env.int("DOSSIER_ZIP_SLICE_DOSSIERS", default=100)


# --- notifications (issue 16) ------------------------------------------------------------------
# E-mail: EMAIL_URL=smtp://user:password@host:25, smtp+tls://…:587 (STARTTLS) or smtp+ssl://…:465.
# Unset: no mail is sent; every notification is in-app only (docs/deploy.md).
EMAIL_URL = env("EMAIL_URL", default="").strip()
if EMAIL_URL:
    _email = environ.Env.email_url_config(EMAIL_URL)
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
    EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
NOTIFICATIONS_MAIL_ENABLED = bool(EMAIL_URL)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="城市试点系统 <noreply@localhost>")
# Seconds before each retry of a mail whose SMTP attempt failed; after the last one, failed.
NOTIFICATIONS_MAIL_RETRY_DELAYS = env.list(
    "NOTIFICATIONS_MAIL_RETRY_DELAYS", cast=int, default=[60, 300, 1800, 7200, 21600]
)
# How long the unsubscribe link of a mail works (seconds).
NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE = env.int(
    "NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE", default=60 * 24 * 3600
)
# The site's address as users reach it, for the links in mails.
SITE_URL = env("SITE_URL", default="http://localhost:8000")
# The SMS backend (dotted path of a class with send(phone, text)); the default only logs.
SMS_BACKEND = env("SMS_BACKEND", default="notifications.sms.LoggingBackend")
