"""Response headers every page shares: the CSP policy (settings, django-csp) and private caching.

`PrivateCacheMiddleware` marks `Cache-Control: private, no-store` on every response that is about
a user: an authenticated request, or a response that sets a cookie or varies on cookies (the
login page with its CSRF token). A view that set Cache-Control itself keeps its own (never_cache
is stricter anyway). Static files never reach it: WhiteNoise answers them further out.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import has_vary_header

PRIVATE = "private, no-store"


class PrivateCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and _is_private(request, response):
            response["Cache-Control"] = PRIVATE
        return response


def _is_private(request: HttpRequest, response: HttpResponseBase) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    return bool(response.cookies) or has_vary_header(response, "Cookie")
