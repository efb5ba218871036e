"""Developer machine: `make run`. SQLite unless DATABASE_URL is set.

Debug pages are off unless DJANGO_DEBUG=1 is asked for: a first run shows the product's own
Chinese 404/403/500 pages, as users will see them. Static files are served from the source tree
(WhiteNoise with finders), so no collectstatic is needed either way. Any host name is accepted, so
a phone on the same network can open http://<this machine>:PORT/ (make run HOST=0.0.0.0).
"""

from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, REDIS_URL, env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"])
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Background work without Redis still happens in the background: Celery's filesystem transport
# (a directory as the broker) carries tasks to the worker and beat that `make run` starts next
# to the web server. CELERY_EAGER=1 runs tasks inside the request instead.
if not REDIS_URL and not env.bool("CELERY_EAGER", default=False):
    _BROKER_DIR = Path(
        env("CELERY_FILESYSTEM_BROKER_DIR", default=str(BASE_DIR / "var" / "celery"))
    )
    for _folder in ("queue", "processed", "control"):
        (_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
    CELERY_TASK_ALWAYS_EAGER = False
