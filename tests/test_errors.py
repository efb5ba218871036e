"""sme_pilot.errors: a domain error raised under a page or an API view becomes its status, once.

The views here only raise; what the handlers make of it is what every real view gets.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sme_pilot.errors import Conflict, Forbidden, Invalid, NotFound, TooFrequent

ERRORS = {
    "not-found": NotFound("没有找到该评测"),
    "forbidden": Forbidden("只有本企业用户可以提交自评。"),
    "conflict": Conflict("该评测已被确认"),
    "invalid": Invalid("评定日期不能晚于今天"),
    "too-frequent": TooFrequent("上传过于频繁", retry_after=dt.timedelta(seconds=90)),
    "django-invalid": ValidationError({"signer_name": "请填写签署人姓名"}),
    "django-invalid-plain": ValidationError("该评测没有绑定评测指标"),
}


def page(request: HttpRequest, name: str) -> HttpResponse:
    raise ERRORS[name]


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a defect")


class Api(APIView):
    def get(self, request: Request, name: str) -> Response:
        raise ERRORS[name]


urlpatterns = [
    path("page/<str:name>/", page),
    path("boom/", boom),
    path("api/v1/errors/<str:name>/", Api.as_view()),
    path("", include("sme_pilot.urls")),  # base.html's links
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.mark.parametrize(
    ("name", "status", "text"),
    [
        ("not-found", 404, "页面不存在"),
        ("forbidden", 403, "只有本企业用户可以提交自评。"),
        ("conflict", 409, "该评测已被确认"),
        ("invalid", 400, "评定日期不能晚于今天"),
        ("too-frequent", 429, "上传过于频繁"),
    ],
)
def test_a_page_answers_the_errors_status_with_its_message(
    client, city_official, name, status, text
):
    client.force_login(city_official)
    response = client.get(f"/page/{name}/")
    assert response.status_code == status
    assert text in response.content.decode()
    if status == 429:
        assert response["Retry-After"] == "90"


@pytest.mark.parametrize(
    ("name", "status", "body"),
    [
        ("not-found", 404, {"detail": "没有找到该评测"}),
        ("forbidden", 403, {"detail": "只有本企业用户可以提交自评。"}),
        ("conflict", 409, {"detail": "该评测已被确认"}),
        ("invalid", 400, {"detail": "评定日期不能晚于今天"}),
        ("too-frequent", 429, {"detail": "上传过于频繁"}),
        ("django-invalid", 400, {"signer_name": ["请填写签署人姓名"]}),
        ("django-invalid-plain", 400, {"non_field_errors": ["该评测没有绑定评测指标"]}),
    ],
)
def test_the_api_answers_the_errors_status_with_its_message(
    client, city_official, name, status, body
):
    client.force_login(city_official)
    response = client.get(f"/api/v1/errors/{name}/")
    assert response.status_code == status
    assert response.json() == body
    if status == 429:
        assert response["Retry-After"] == "90"


def test_an_unexpected_error_shows_the_products_chinese_500_page(city_official):
    client = Client(raise_request_exception=False)
    client.force_login(city_official)
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "服务器内部错误" in body and "Traceback" not in body


@pytest.mark.parametrize(("debug", "expected"), [(None, "False"), ("1", "True")])
def test_make_run_shows_debug_pages_only_when_asked(debug, expected):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
    if debug is not None:
        env["DJANGO_DEBUG"] = debug
    code = "import sme_pilot.settings.local as s; print(s.DEBUG, s.WHITENOISE_USE_FINDERS)"
    shown = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert shown == [expected, "True"]
