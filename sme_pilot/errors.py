"""Domain errors: what services and selectors raise, and the one place each becomes HTTP.

Services and selectors know nothing of HTTP. They raise one of these, with a message for the
user in Chinese; views do not catch them to translate. Two handlers do:

- pages: `DomainErrorMiddleware` (404 and 403 through Django's own error pages, the others on
  `error.html` with the message and the status);
- the API: `api_exception_handler` (settings REST_FRAMEWORK["EXCEPTION_HANDLER"]): `{"detail":
  message}` with the status, `Retry-After` for 429. Django's own `ValidationError` raised by a
  model's `full_clean` in a service is a 400 there as well, instead of a 500.

A view that wants a different answer for one error (a form redisplayed with the message on a
field) still catches it; everything it does not catch ends here, never as a 500.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


class DomainError(Exception):
    """A request that cannot be done as asked; nothing was written."""

    status_code: ClassVar[int] = 400
    default_message: ClassVar[str] = "请求无效"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self.args[0])


class Invalid(DomainError):
    """The input breaks a rule (400)."""


class Forbidden(DomainError):
    """The actor's role may not do this (403); out-of-scope objects are NotFound instead."""

    status_code = 403
    default_message = "您无权执行此操作"


class NotFound(DomainError):
    """No such object, or not in the actor's scope: the two are answered alike (404)."""

    status_code = 404
    default_message = "没有找到该对象"


class Conflict(DomainError):
    """The object is not in a state that allows this (409): someone else changed it, or it
    already happened."""

    status_code = 409
    default_message = "当前状态下不能执行此操作，请刷新后重试"


def minutes_to_wait(retry_after: dt.timedelta) -> int:
    """Whole minutes, at least one, for a message that says when to try again."""
    return max(1, math.ceil(retry_after.total_seconds() / 60))


class TooFrequent(DomainError):
    """Over a per-user limit (429); `retry_after` says when one more will fit."""

    status_code = 429
    default_message = "操作过于频繁，请稍后再试"

    def __init__(self, message: str | None = None, *, retry_after: dt.timedelta) -> None:
        self.retry_after = retry_after
        self.minutes = minutes_to_wait(retry_after)
        super().__init__(message)

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil(self.retry_after.total_seconds()))


# --- pages ---------------------------------------------------------------------------------


class DomainErrorMiddleware:
    """A DomainError a view did not catch becomes the page for its status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        if isinstance(exception, NotFound):
            raise Http404(exception.message) from exception
        if isinstance(exception, Forbidden):
            raise PermissionDenied(exception.message) from exception
        return domain_error_page(request, exception)


def domain_error_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    context = {"status": error.status_code, "message": error.message}
    response = render(request, "error.html", context, status=error.status_code)
    if isinstance(error, TooFrequent):
        response["Retry-After"] = str(error.retry_after_seconds)
    return response


# --- API -----------------------------------------------------------------------------------


class _APIError(drf.APIException):
    def __init__(self, error: DomainError) -> None:
        self.status_code = error.status_code
        super().__init__(detail=error.message, code=type(error).__name__.lower())


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, first turning domain errors (and Django's ValidationError) into its own."""
    converted: Exception = exc
    if isinstance(exc, TooFrequent):
        # Not DRF's Throttled, which appends its own "预计 N 秒后可用" to a message that already
        # says when to try again.
        response = drf_exception_handler(_APIError(exc), context)
        if response is not None:
            response["Retry-After"] = str(exc.retry_after_seconds)
        return response
    if isinstance(exc, NotFound):
        converted = drf.NotFound(exc.message)
    elif isinstance(exc, Forbidden):
        converted = drf.PermissionDenied(exc.message)
    elif isinstance(exc, DomainError):
        converted = _APIError(exc)
    elif isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail: Any = dict(exc.message_dict)
        else:
            detail = {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        converted = drf.ValidationError(detail)
    return drf_exception_handler(converted, context)
