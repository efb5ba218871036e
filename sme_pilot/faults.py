"""What a request answers when the database goes away under it: a clean 503, not a traceback.

A lost connection (PostgreSQL restarted, failed over, or the backend terminated) surfaces as
`OperationalError` or `InterfaceError` from the first query that needs it. Every write that must
be all or nothing runs in a transaction, so nothing is half-written; what is left is to tell the
user to try again, log it once, and make sure the next request does not reuse the dead
connection (Django drops a connection marked unusable only at the end of a request, and not at
all in the test client).

Pages get a short Chinese page (rendered without the session, the user or the database); the API
(/api/) gets `{"detail": "数据库连接中断，请稍后重试"}`. Both are 503 with Retry-After. Other
transient `OperationalError`s (a deadlock, a serialization failure, a statement timeout) get the
same answer: the transaction was rolled back and trying again is the right advice.

Only errors raised by a view come here (`process_exception`); one raised in another
middleware's response phase (e.g. saving a modified session) is still Django's 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

MESSAGE: Final = "数据库连接中断，请稍后重试"
RETRY_AFTER_SECONDS: Final = 5
API_PREFIX: Final = "/api/"
# A tiny page used when even the template cannot be rendered (no DB, no session needed).
_FALLBACK_HTML: Final = (
    '<!doctype html><html lang="zh-Hans"><meta charset="utf-8"><title>服务暂不可用</title>'
    f"<h1>服务暂不可用</h1><p>{MESSAGE}。</p></html>"
)

DATABASE_UNAVAILABLE_ERRORS: Final = (OperationalError, InterfaceError)


class DatabaseUnavailableMiddleware:
    """Turns a database connection error raised by a view into a 503 (HTML or JSON)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_UNAVAILABLE_ERRORS):
            return None
        logger.error(
            "database unavailable during %s %s: %s",
            request.method,
            request.path,
            exception,
            exc_info=exception,
        )
        _drop_unusable_connections()
        return database_unavailable_response(request)


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    body: str
    if request.path.startswith(API_PREFIX):
        response = JsonResponse({"detail": MESSAGE}, status=503)
    else:
        try:
            body = render_to_string("503.html", {"message": MESSAGE})
        except Exception:  # the page must not fail in turn; it needs nothing but the template
            logger.exception("could not render 503.html")
            body = _FALLBACK_HTML
        response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _drop_unusable_connections() -> None:
    """Close connections the error left broken, so the next query reconnects."""
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block:
            continue  # an outer transaction is still unwinding; its exit drops the connection
        try:
            if conn.connection is not None and not conn.is_usable():
                conn.close()
        except Exception:  # closing a dead connection may itself fail; it is gone either way
            logger.warning("could not close database connection %s", conn.alias, exc_info=True)
            conn.connection = None
