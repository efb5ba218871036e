"""Lockouts behind nginx, on the production stack: gunicorn started by `deploy/bin/sme-pilot web`
(deploy/gunicorn.conf.py) with the production settings and BEHIND_PROXY=1, spoken to as nginx
speaks to it (deploy/nginx/sme-pilot-proxy.conf): every request from 127.0.0.1, the browser's
address in X-Real-IP, X-Forwarded-Proto: https."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import socket
import subprocess
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.db import connection

from accounts.models import Role
from tests.cities.factories import UserFactory
from tests.conftest import skip_without_worker_services, wait_for

HOST = "sme-pilot.example.cn"
PASSWORD = "Ministry-Lock-2026!"
CLIENT_A = "203.0.113.10"  # five wrong passwords
CLIENT_B = "198.51.100.20"  # the account's owner, elsewhere
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


class Browser:
    """One browser behind nginx: its own address (X-Real-IP) and its own cookies."""

    def __init__(self, port: int, address: str) -> None:
        self.port = port
        self.address = address
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None):
        headers = {
            "Host": HOST,
            "X-Real-IP": self.address,
            "X-Forwarded-For": self.address,
            "X-Forwarded-Proto": "https",
            "Origin": f"https://{HOST}",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            for raw in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(raw).items():
                    self.cookies[name] = morsel.value
            return response.status, response.getheader("Location", ""), text
        finally:
            conn.close()

    def log_in(self, username: str, password: str) -> tuple[int, str, str]:
        status, _, page = self.request("GET", "/login/")
        assert status == 200, page[-500:]
        (token,) = _TOKEN.findall(page)
        return self.request(
            "POST",
            "/login/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
        )


@pytest.fixture
def production_web(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """gunicorn with the production settings behind a (simulated) nginx; its port and LOG_DIR."""
    port = _free_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tests.proxy_settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DATABASE_URL": _database_url(),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": os.environ["REDIS_URL"],
        "CACHE_KEY_PREFIX": f"behind-proxy-{secrets.token_hex(4)}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_DIR": str(logs),
        "BEHIND_PROXY": "true",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    output = (tmp_path / "gunicorn.log").open("wb")
    proc = subprocess.Popen(
        [str(Path(settings.BASE_DIR) / "deploy" / "bin" / "sme-pilot"), "web"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )

    def ready() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"gunicorn exited: {(tmp_path / 'gunicorn.log').read_text()[-3000:]}")
        try:
            status, _, _ = Browser(port, "127.0.0.1").request("GET", "/readyz")
        except OSError:
            return False
        return status == 200

    try:
        wait_for(ready, timeout=60, interval=0.1, what="gunicorn to answer /readyz")
        yield port, logs
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        output.close()


def security_log(logs: Path) -> list[dict]:
    path = logs / "security.log"
    return [json.loads(line) for line in path.read_text().splitlines() if line]


@skip_without_worker_services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_behind_nginx_five_wrong_passwords_lock_out_that_client_only(production_web):
    port, logs = production_web
    ministry = UserFactory(username="ministry", role=Role.MINISTRY)
    # A hash the production hashers verify quickly (the test settings hash with MD5).
    cheap = PBKDF2PasswordHasher()
    cheap.iterations = 1_000
    ministry.password = make_password(PASSWORD, hasher=cheap)
    ministry.save(update_fields=["password"])
    attacker = Browser(port, CLIENT_A)

    for _ in range(settings.AXES_FAILURE_LIMIT):
        attacker.log_in("ministry", "wrong-password")
    status, _, page = attacker.log_in("ministry", PASSWORD)

    assert status == 429, page[-500:]
    assert "登录失败次数过多" in page
    status, location, page = Browser(port, CLIENT_B).log_in("ministry", PASSWORD)
    assert (status, location) == (302, "/"), page[-500:]
    (attempt,) = AccessAttempt.objects.filter(username="ministry")
    assert attempt.ip_address == CLIENT_A
    # The security log names the same clients as the lock does.
    lines = security_log(logs)
    failed = [line for line in lines if line["event"] == "login_failed"]
    assert len(failed) > settings.AXES_FAILURE_LIMIT  # the refused right password counts too
    assert {line["ip"] for line in failed} == {CLIENT_A}
    assert {line["lockout_ip"] for line in lines if line["event"] == "lockout"} == {CLIENT_A}
    (login,) = [line for line in lines if line["event"] == "login"]
    assert (login["ip"], login["user_id"]) == (CLIENT_B, ministry.pk)
