"""Developer machine: `make run`. SQLite unless DATABASE_URL is set.

Debug pages are off unless DJANGO_DEBUG=1 is asked for: a first run shows the product's own
Chinese 404/403/500 pages, as users will see them. Static files are served from the source tree
(WhiteNoise with finders), so no collectstatic is needed either way. Any host name is accepted, so
a phone on the same network can open http://<this machine>:PORT/ (make run HOST=0.0.0.0).
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"])
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
