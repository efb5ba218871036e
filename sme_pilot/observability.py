"""Logs operators can follow: a request id on every line, carried into Celery tasks; access and
security logs as JSON lines.

- `RequestIdMiddleware` takes the id from `X-Request-ID` (set by nginx, see docs/deploy.md) or
  makes one, keeps it in a context variable for the request, sends it back in the response, and
  writes one access-log line per request (`sme_pilot.access`).
- `RequestIdFilter` puts the current id on every log record; `JsonFormatter` writes records as
  one JSON object per line with the record's extra fields.
- Celery: the id travels as a message header (`before_task_publish`) and is restored around the
  task (`task_prerun` / `task_postrun`), so a report rendered by a worker logs the id of the
  request that asked for it.
- `security_event` writes to `sme_pilot.security`: logins, failed logins, lockouts, refusals
  (401/403), account changes, downloads. Production sends it to its own file that logrotate keeps
  for 190 days (deploy/logrotate/sme-pilot).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, Final

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ipware import get_client_ip

NO_REQUEST: Final = "-"
HEADER: Final = "X-Request-ID"
CELERY_HEADER: Final = "request_id"
# An id from the outside is kept only if it looks like one: it ends up in every log line.
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default=NO_REQUEST
)

access_logger = logging.getLogger("sme_pilot.access")
security_logger = logging.getLogger("sme_pilot.security")

# Probes answer many times a minute; their lines go out at DEBUG, below the default level.
_QUIET_PATHS: Final = frozenset({"/healthz", "/readyz"})


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get(HEADER, "")
        request_id = offered if _VALID_ID.match(offered) else new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            _log_access(request, response.status_code, time.perf_counter() - started)
            return response
        finally:
            request_id_var.reset(token)


def _user_fields(request: HttpRequest) -> dict[str, Any]:
    # A DRF Request authenticates when .user is first read, so reading it from a login_failed
    # handler while DRF authenticates (a wrong Basic password) recursed until RecursionError.
    # The HttpRequest underneath has the user DRF settled on, or the session's.
    request = getattr(request, "_request", request)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_id": None, "role": "anonymous"}
    return {"user_id": user.pk, "role": getattr(user, "role", "")}


def client_ip(request: HttpRequest) -> str:
    """The client's address: the one function that decides it, for django-axes's lockouts
    (AXES_CLIENT_IP_CALLABLE) and for our access and security logs alike.

    The first entry of CLIENT_IP_META_ORDER holding a valid address wins: X-Real-IP (set by
    nginx) only when BEHIND_PROXY, else the socket's REMOTE_ADDR. django-ipware parses and
    validates each entry; asked about all entries at once it would prefer any public address,
    so an intranet client behind an nginx with a public address would get nginx's.
    """
    for key in settings.CLIENT_IP_META_ORDER:
        address, _routable = get_client_ip(request, request_header_order=(key,))
        if address:
            return address
    return ""


def _log_access(request: HttpRequest, status: int, seconds: float) -> None:
    level = logging.DEBUG if request.path in _QUIET_PATHS else logging.INFO
    fields = {
        "method": request.method,
        "path": request.path,
        "status": status,
        "ms": round(seconds * 1000, 1),
        "ip": client_ip(request),
        **_user_fields(request),
    }
    access_logger.log(level, "%s %s %s", request.method, request.path, status, extra=fields)
    if status in (401, 403):
        security_event("access_denied", request=request, status=status, path=request.path)


def security_event(event: str, *, request: HttpRequest | None = None, **fields: Any) -> None:
    """One line in the security log: what happened, to whom, from where."""
    extra: dict[str, Any] = {"event": event, **fields}
    if request is not None:
        extra.setdefault("ip", client_ip(request))
        for key, value in _user_fields(request).items():
            extra.setdefault(key, value)
    security_logger.info(event, extra=extra)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


# Attributes every LogRecord has; anything else on a record came from `extra=` and is a field.
_STANDARD_ATTRS: Final = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in body:
                body[key] = value
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False, default=str)


# --- Celery ------------------------------------------------------------------------------------


def celery_publish_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """before_task_publish: a task sent while serving a request carries that request's id."""
    request_id = request_id_var.get()
    if headers is not None and request_id != NO_REQUEST:
        headers.setdefault(CELERY_HEADER, request_id)


_task_tokens: dict[str, contextvars.Token[str]] = {}


def celery_task_prerun(task_id: str = "", task: Any = None, **_: Any) -> None:
    """task_prerun: log lines of the task carry the id of the request that sent it."""
    request = getattr(task, "request", None)
    request_id = getattr(request, CELERY_HEADER, None) or (
        (getattr(request, "headers", None) or {}).get(CELERY_HEADER)
    )
    # Eager tasks run inside the request: the variable already holds its id.
    if request_id and task_id:
        _task_tokens[task_id] = request_id_var.set(str(request_id))


def celery_task_postrun(task_id: str = "", **_: Any) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        request_id_var.reset(token)


# --- auth signals ------------------------------------------------------------------------------


def on_user_logged_in(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    security_event("login", request=request, user_id=user.pk, username=user.get_username())


def on_user_logged_out(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    security_event(
        "logout", request=request, user_id=getattr(user, "pk", None), role=getattr(user, "role", "")
    )


def on_user_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    security_event("login_failed", request=request, username=credentials.get("username", ""))


def on_user_locked_out(
    sender: Any,
    request: HttpRequest | None = None,
    username: str = "",
    ip_address: str = "",
    **_: Any,
) -> None:
    security_event("lockout", request=request, username=username, lockout_ip=ip_address)
