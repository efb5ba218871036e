"""gunicorn settings for sme-pilot, read from the environment (see .env.example).

Used by the systemd unit (deploy/systemd/sme-pilot-web.service) and by `make run` through
`deploy/bin/sme-pilot web`. Static files are served by WhiteNoise inside the app; nginx in front
terminates TLS, buffers slow clients and passes X-Request-ID / X-Forwarded-Proto.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: the app is database-bound and short requests; long work goes to Celery.
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so a slow leak can never take a web process down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# X-Forwarded-* are trusted only from nginx on the same host (or the addresses listed).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The app writes its own access log with the request id and the user (sme_pilot.observability).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Heartbeat files in memory, not on a slow or full disk (gunicorn docs: "worker_tmp_dir").
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
proc_name = "sme-pilot-web"
# gunicorn's control socket (gunicornc) defaults to ~/.gunicorn/gunicorn.ctl, shared by every
# gunicorn of the user; off unless a path is given. systemd reloads with SIGHUP instead.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
