"""Logging in and out, the django-axes lockout, and the first-login password change."""

from __future__ import annotations

import logging

import axes.helpers
import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from cities import services

pytestmark = pytest.mark.django_db

PASSWORD = "Sme-pilot-2026!"  # what UserFactory sets
NEW_PASSWORD = "Qingcheng-Shan-2026"


def login(client, username: str, password: str, **extra):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, **extra
    )


def logged_in_as(client) -> str | None:
    return client.session.get("_auth_user_id")


def test_login_page_is_chinese(client):
    response = client.get(reverse("accounts:login"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in body
    assert "用户名" in body
    assert "密码" in body
    assert "账号由所在试点城市的管理员开通" in body


def test_correct_login_works(client, city_official):
    response = login(client, "official", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("cities:home")
    assert logged_in_as(client) == str(city_official.pk)
    assert client.get(reverse("cities:account_list")).status_code == 200


def test_wrong_password_is_refused_in_chinese(client, city_official):
    response = login(client, "official", "wrong-password")
    assert response.status_code == 200
    assert logged_in_as(client) is None
    assert "请输入一个正确的" in response.content.decode()


def test_five_wrong_passwords_lock_the_account_out(client, city_official, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert login(client, "official", "wrong-password").status_code == 200

    fifth = login(client, "official", "wrong-password")
    assert "登录失败次数过多" in fifth.content.decode()

    response = login(client, "official", PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert logged_in_as(client) is None


def test_four_wrong_passwords_do_not_lock(client, city_official):
    for _ in range(4):
        login(client, "official", "wrong-password")
    assert login(client, "official", PASSWORD).status_code == 302
    assert logged_in_as(client) == str(city_official.pk)


def test_lockout_is_per_username_and_address(client, city_official, assessor):
    for _ in range(5):
        login(client, "official", "wrong-password")

    assert login(Client(), "assessor", PASSWORD).status_code == 302
    elsewhere = Client()
    assert login(elsewhere, "official", PASSWORD, REMOTE_ADDR="10.1.2.3").status_code == 302
    assert logged_in_as(elsewhere) == str(city_official.pk)


# What production computes from BEHIND_PROXY (sme_pilot/settings/base.py): nginx sets X-Real-IP.
PROXIED = ("HTTP_X_REAL_IP", "REMOTE_ADDR")
DIRECT = ("REMOTE_ADDR",)
CLIENT_A = "203.0.113.10"
CLIENT_B = "198.51.100.20"


def security_lines(caplog, event: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "sme_pilot.security" and getattr(r, "event", "") == event
    ]


def test_behind_the_proxy_five_wrong_passwords_lock_only_that_client(
    client, city_official, settings, monkeypatch, caplog
):
    settings.CLIENT_IP_META_ORDER = PROXIED
    # The production install had no django-ipware, so axes's own lookup fell back to REMOTE_ADDR
    # (always nginx's 127.0.0.1): lockouts must not hang on that optional import.
    monkeypatch.setattr(axes.helpers, "IPWARE_INSTALLED", False)
    caplog.set_level(logging.INFO, logger="sme_pilot.security")
    for _ in range(5):
        login(client, "official", "wrong-password", HTTP_X_REAL_IP=CLIENT_A)

    assert login(client, "official", PASSWORD, HTTP_X_REAL_IP=CLIENT_A).status_code == 429
    other = Client()
    assert login(other, "official", PASSWORD, HTTP_X_REAL_IP=CLIENT_B).status_code == 302
    assert logged_in_as(other) == str(city_official.pk)
    # Our security log names the same client as the lock.
    (attempt,) = AccessAttempt.objects.filter(username="official")
    assert attempt.ip_address == CLIENT_A
    assert {r.ip for r in security_lines(caplog, "login_failed")} == {CLIENT_A}
    lockouts = security_lines(caplog, "lockout")
    assert {(r.ip, r.lockout_ip) for r in lockouts} == {(CLIENT_A, CLIENT_A)}


def test_without_the_proxy_a_forged_x_real_ip_does_not_escape_the_lock(
    client, city_official, settings
):
    settings.CLIENT_IP_META_ORDER = DIRECT
    for n in range(5):
        login(client, "official", "wrong-password", HTTP_X_REAL_IP=f"198.51.100.{n + 1}")

    response = login(Client(), "official", PASSWORD, HTTP_X_REAL_IP="198.51.100.99")

    assert response.status_code == 429
    (attempt,) = AccessAttempt.objects.filter(username="official")
    assert attempt.ip_address == "127.0.0.1"


def test_password_reset_by_the_official_lifts_a_lockout(client, city_official, enterprise_user):
    for _ in range(5):
        login(client, "ent", "wrong-password")
    assert login(client, "ent", PASSWORD).status_code == 429

    password = services.account_reset_password(actor=city_official, user=enterprise_user)

    assert login(client, "ent", password).status_code == 302
    assert logged_in_as(client) == str(enterprise_user.pk)


def test_logout_needs_a_post_and_ends_the_session(client, city_official):
    client.force_login(city_official)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert logged_in_as(client) == str(city_official.pk)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert logged_in_as(client) is None
    after = client.get(reverse("cities:account_list"))
    assert after.status_code == 302
    assert after["Location"].startswith(reverse("accounts:login"))


def test_a_new_account_must_change_its_initial_password_first(client, city_official, enterprise):
    account, initial = services.account_create(
        actor=city_official, role=Role.ENTERPRISE, enterprise=enterprise
    )
    api_url = reverse("enterprise-list")

    assert login(client, account.username, initial).status_code == 302
    change_url = reverse("accounts:password_change")
    for url in ("/", reverse("cities:account_list"), reverse("cities:my_enterprise")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{change_url}?next={url}", url
    api = client.get(api_url)
    assert api.status_code == 403
    assert api.json()["detail"] == "请先修改初始密码后再使用系统。"

    form = client.get(change_url)
    assert form.status_code == 200
    assert "您正在使用管理员设置的初始密码" in form.content.decode()
    response = client.post(
        change_url,
        {"old_password": initial, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change_done")
    account.refresh_from_db()
    assert not account.must_change_password
    assert account.check_password(NEW_PASSWORD)
    api = client.get(api_url)
    assert api.status_code == 200
    assert [row["uscc"] for row in api.json()["results"]] == [enterprise.uscc]
    assert client.get(reverse("accounts:password_change_done")).status_code == 200


def test_initial_password_must_be_replaced_by_a_valid_one(client, city_official):
    account, initial = services.account_create(
        actor=city_official, role=Role.ASSESSOR, username="wangwu"
    )
    login(client, "wangwu", initial)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": initial, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.must_change_password
    assert client.get("/").status_code == 302


CURRENT_PASSWORD_REFUSED = "新密码不能与当前密码相同"


def test_the_forced_change_refuses_to_keep_the_initial_password(client, city_official):
    account, initial = services.account_create(
        actor=city_official, role=Role.ASSESSOR, username="wangwu"
    )
    login(client, "wangwu", initial)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": initial, "new_password1": initial, "new_password2": initial},
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(CURRENT_PASSWORD_REFUSED in e for e in errors["new_password2"]), errors
    assert CURRENT_PASSWORD_REFUSED in response.content.decode()
    account.refresh_from_db()
    assert account.must_change_password
    assert account.check_password(initial)
    assert client.get("/").status_code == 302


def test_a_voluntary_change_refuses_the_current_password_too(client, assessor):
    login(client, "assessor", PASSWORD)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )

    assert response.status_code == 200
    assert CURRENT_PASSWORD_REFUSED in response.content.decode()
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assessor.refresh_from_db()
    assert assessor.check_password(NEW_PASSWORD)
