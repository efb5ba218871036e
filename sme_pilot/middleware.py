"""Refuses requests carrying control characters before any view reads them.

A NUL byte in the path, the query string or a form field cannot be stored by PostgreSQL and
fails deep inside a query (500); other C0 control characters have no business in those places
either. They are answered here with 400: a short Chinese page, or JSON under /api/. Form bodies
may carry tab, line feed and carriage return (text areas). JSON bodies are checked by the DRF
parser (sme_pilot.inputs.BoundedJSONParser).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from .inputs import ALL_CONTROL_CHARACTERS, CONTROL_CHARACTERS

MESSAGE: Final = "请求中含有不允许的控制字符（如 NUL），请检查输入"
API_PREFIX: Final = "/api/"
_FORM_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")


def _first_bad(pairs: Iterable[tuple[str, list[str]]], *, allow_whitespace: bool) -> str | None:
    pattern = CONTROL_CHARACTERS if allow_whitespace else ALL_CONTROL_CHARACTERS
    for key, values in pairs:
        if pattern.search(key) or any(pattern.search(v) for v in values):
            return key
    return None


class ControlCharacterMiddleware:
    """400 for a NUL or other C0 control character in the path, query string or form fields."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        bad = self._bad_part(request)
        if bad is not None:
            return self._refuse(request, bad)
        return self.get_response(request)

    def _bad_part(self, request: HttpRequest) -> str | None:
        if ALL_CONTROL_CHARACTERS.search(request.path):
            return "path"
        field = _first_bad(request.GET.lists(), allow_whitespace=False)
        if field is not None:
            return field
        if request.method == "POST" and request.content_type in _FORM_TYPES:
            return _first_bad(request.POST.lists(), allow_whitespace=True)
        return None

    def _refuse(self, request: HttpRequest, field: str) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"detail": f"{MESSAGE}：{field}"}, status=400)
        html = render_to_string("400.html", {"message": MESSAGE, "field": field})
        return HttpResponse(html, status=400)
