"""Security headers on every response (sme_pilot.headers, settings CONTENT_SECURITY_POLICY).

CSP: strict on pages, API answers and error pages; only the API docs add inline styles.
Cache-Control: `private, no-store` on whatever is about a user (signed in, or a response that
sets or varies on cookies: the login page with its CSRF token); views that chose their own
Cache-Control keep it; anonymous cookie-free answers (healthz) and static files carry none.
"""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from sme_pilot.headers import PrivateCacheMiddleware
from tests.conftest import drain

pytestmark = pytest.mark.django_db

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    parts = [p.strip().split(None, 1) for p in header.split(";") if p.strip()]
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


def assert_strict(response) -> None:
    got = policy(response)
    assert got == STRICT
    assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "url_name, user",
    [
        ("accounts:login", None),
        ("oversight:roster", "city_official"),
        ("oversight:city_dashboard", "city_official"),
        ("oversight:national_dashboard", "ministry_user"),
        ("reports:report_list", "enterprise_user"),
    ],
)
def test_pages_carry_the_strict_policy(client, request, city, url_name, user):
    if user:
        client.force_login(request.getfixturevalue(user))
    args = [city.code] if url_name in ("oversight:city_dashboard", "oversight:roster") else []
    response = client.get(reverse(url_name, args=args))
    assert response.status_code == 200
    assert_strict(response)


def test_api_and_error_pages_carry_the_strict_policy(client, city_official):
    assert_strict(client.get("/api/v1/cities/"))  # 403, anonymous
    client.force_login(city_official)
    assert_strict(client.get("/api/v1/cities/"))
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert_strict(missing)


def test_only_the_api_docs_allow_inline_styles_and_never_inline_scripts(client, ministry_user):
    client.force_login(ministry_user)
    for name in ("api-docs", "api-redoc"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        got = policy(response)
        assert got["script-src"] == "'self'"
        assert got["style-src"] == "'self' 'unsafe-inline'"
    # Swagger UI's start-up code is a script file, not inline.
    page = client.get(reverse("api-docs")).content.decode()
    assert "<script>" not in page


@pytest.mark.parametrize(
    "url",
    [
        lambda city: reverse("cities:home"),
        lambda city: reverse("oversight:city_dashboard", args=[city.code]),
        lambda city: "/api/v1/cities/",
        lambda city: "/no-such-page/",
    ],
)
def test_signed_in_responses_are_private_and_not_stored(client, city_official, city, url):
    client.force_login(city_official)
    response = client.get(url(city))
    assert response["Cache-Control"] == "private, no-store"


def test_api_with_basic_auth_is_private_too(client, city_official):
    city_official.set_password("Pw-for-basic-1!")
    city_official.must_change_password = False
    city_official.save()
    token = base64.b64encode(f"{city_official.username}:Pw-for-basic-1!".encode()).decode()
    response = client.get("/api/v1/cities/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_anonymous_responses_that_set_or_vary_on_cookies_are_private(rf):
    def view_with(cookie: bool, vary: bool):
        def view(request):
            response = HttpResponse("ok")
            if cookie:
                response.set_cookie("sessionid", "x")
            if vary:
                patch_vary_headers(response, ["Cookie"])
            return response

        return view

    def through(view):
        request = rf.get("/")
        request.user = AnonymousUser()
        return PrivateCacheMiddleware(view)(request)

    assert through(view_with(cookie=True, vary=False))["Cache-Control"] == "private, no-store"
    assert through(view_with(cookie=False, vary=True))["Cache-Control"] == "private, no-store"
    assert not through(view_with(cookie=False, vary=False)).has_header("Cache-Control")


def test_a_views_own_cache_control_is_kept(client, city_official):
    # This page is never_cache: Django's own (stricter) header stays as the view set it.
    client.force_login(city_official)
    response = client.get(reverse("cities:account_bulk_result", args=["no-such-token"]))
    assert response.status_code == 410
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_static_files_are_left_alone(client, city_official):
    client.force_login(city_official)
    static = client.get("/static/css/app.css")
    drain(static)
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")
