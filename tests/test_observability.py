"""Probes (/healthz, /readyz), request ids in responses, logs and Celery tasks, access and
security logs, and the log retention the deployment configures."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import pytest
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from reports.models import ReportJob, ReportJobState
from sme_pilot import health
from sme_pilot.observability import JsonFormatter, RequestIdFilter, client_ip, request_id_var
from tests.conftest import skip_without_worker_services, wait_for

PASSWORD = "Sme-pilot-2026!"  # what UserFactory sets
REPO = Path(settings.BASE_DIR)


# --- probes ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_anyone_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_checks_database_redis_and_migrations(client):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "ok"
    expected_redis = "ok" if settings.REDIS_URL else "not configured"
    assert body["checks"]["redis"] == expected_redis


@pytest.mark.django_db
def test_readyz_is_503_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "failed"
    assert response.json()["status"] == "unavailable"


@pytest.mark.django_db
def test_readyz_sees_pending_migrations_through_the_migration_graph(monkeypatch):
    monkeypatch.setattr(health, "_migrations_seen_applied", False)
    assert health._migrations() == "ok"
    assert health._migrations_seen_applied is True


def test_probes_refuse_writes(client):
    assert client.post("/healthz").status_code == 405


# --- request ids -----------------------------------------------------------------------------


def test_every_response_carries_a_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_a_request_id_from_the_proxy_is_kept_and_a_malformed_one_replaced(client):
    given = "nginx-7f3a9c1e2b"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    bad = "x\nforged log line"
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
    assert replaced != bad
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)


@pytest.mark.django_db
def test_the_access_log_has_one_line_per_request_with_user_and_request_id(
    client, city_official, caplog
):
    client.force_login(city_official)
    caplog.set_level(logging.INFO, logger="sme_pilot.access")
    response = client.get(reverse("reports:report_list"), HTTP_X_REQUEST_ID="req-access-0001")
    assert response.status_code == 200
    lines = [r for r in caplog.records if r.name == "sme_pilot.access"]
    assert len(lines) == 1
    line = lines[0]
    assert (line.method, line.path, line.status) == ("GET", reverse("reports:report_list"), 200)
    assert (line.user_id, line.role) == (city_official.pk, "city_official")
    assert line.request_id == "req-access-0001"
    assert line.ms >= 0


def test_json_lines_carry_request_id_extras_and_readable_chinese():
    record = logging.LogRecord("reports.services", logging.INFO, __file__, 1, "报告 %s", (7,), None)
    record.job_id = 7
    token = request_id_var.set("req-json-0001")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    body = json.loads(JsonFormatter().format(record))
    assert body["message"] == "报告 7"
    assert body["request_id"] == "req-json-0001"
    assert body["job_id"] == 7
    assert body["level"] == "INFO"
    assert "报告" in JsonFormatter().format(record)  # not \\u escapes


# --- security log ----------------------------------------------------------------------------


def security_lines(caplog, event: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "sme_pilot.security" and getattr(r, "event", "") == event
    ]


@pytest.mark.django_db
def test_logins_failures_and_refusals_reach_the_security_log(client, city_official, caplog):
    caplog.set_level(logging.INFO, logger="sme_pilot.security")
    # An anonymous API call is refused with 403: a refusal worth recording, with its request id.
    assert client.get("/api/v1/cities/", HTTP_X_REQUEST_ID="req-denied-0001").status_code == 403
    (denied,) = security_lines(caplog, "access_denied")
    assert (denied.request_id, denied.status, denied.role) == ("req-denied-0001", 403, "anonymous")

    client.post(reverse("accounts:login"), {"username": "official", "password": "wrong"})
    (failed,) = security_lines(caplog, "login_failed")
    assert failed.username == "official"
    assert failed.ip == "127.0.0.1"

    client.post(reverse("accounts:login"), {"username": "official", "password": PASSWORD})
    (login,) = security_lines(caplog, "login")
    assert login.user_id == city_official.pk


@pytest.mark.django_db
def test_the_client_address_comes_from_x_real_ip_only_behind_the_proxy(rf, settings):
    request = rf.get("/", HTTP_X_REAL_IP="203.0.113.9", REMOTE_ADDR="127.0.0.1")
    settings.CLIENT_IP_META_ORDER = ("REMOTE_ADDR",)
    assert client_ip(request) == "127.0.0.1"  # a client cannot forge its address
    settings.CLIENT_IP_META_ORDER = ("HTTP_X_REAL_IP", "REMOTE_ADDR")
    assert client_ip(request) == "203.0.113.9"


@pytest.mark.parametrize(
    ("x_real_ip", "remote_addr", "expected"),
    [
        # An intranet client behind an nginx with a public address is still that client.
        ("10.20.30.40", "202.96.128.86", "10.20.30.40"),
        # Not an address (nginx always sends one; a direct caller might not): the socket's.
        ("not-an-ip", "127.0.0.1", "127.0.0.1"),
        ("", "127.0.0.1", "127.0.0.1"),
        ("2001:db8::7", "::1", "2001:db8::7"),
    ],
)
def test_behind_the_proxy_the_first_valid_address_in_order_wins(
    rf, settings, x_real_ip, remote_addr, expected
):
    settings.CLIENT_IP_META_ORDER = ("HTTP_X_REAL_IP", "REMOTE_ADDR")
    request = rf.get("/", HTTP_X_REAL_IP=x_real_ip, REMOTE_ADDR=remote_addr)
    assert client_ip(request) == expected


@pytest.mark.parametrize(
    "order", [("REMOTE_ADDR",), ("HTTP_X_REAL_IP", "REMOTE_ADDR")], ids=["direct", "proxied"]
)
def test_django_axes_locks_by_the_address_our_logs_record(rf, settings, order):
    settings.CLIENT_IP_META_ORDER = order
    for meta in (
        {"HTTP_X_REAL_IP": "203.0.113.9", "REMOTE_ADDR": "127.0.0.1"},
        {"HTTP_X_REAL_IP": "bogus", "REMOTE_ADDR": "10.0.0.2"},
        {"REMOTE_ADDR": "192.0.2.1"},
    ):
        request = rf.post("/login/", **meta)
        assert get_client_ip_address(request) == client_ip(request), meta


@pytest.mark.django_db
def test_account_changes_are_in_the_security_log(city_official, enterprise_user, caplog):
    from cities import services

    caplog.set_level(logging.INFO, logger="sme_pilot.security")
    services.account_reset_password(actor=city_official, user=enterprise_user)
    (line,) = security_lines(caplog, "account_change")
    assert (line.actor_id, line.target) == (city_official.pk, enterprise_user.username)


def test_logrotate_keeps_the_access_and_security_logs_at_least_six_months():
    text = (REPO / "deploy" / "logrotate" / "sme-pilot").read_text()
    assert "access.log" in text and "security.log" in text
    assert re.search(r"^\s*daily\s*$", text, re.M)
    (rotate,) = re.findall(r"^\s*rotate\s+(\d+)\s*$", text, re.M)
    assert int(rotate) >= 183, "6 months of daily files"


# --- Celery ----------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@skip_without_worker_services
def test_a_worker_logs_with_the_request_id_of_the_request_that_queued_its_task(
    start_celery_worker, client, city_official, sub_industry, tmp_path
):
    log_file = tmp_path / "worker.log"
    start_celery_worker(
        {
            "LOG_FILE": str(log_file),
            "REPORTS_RENDERER": "tests.reports.fakes.render",
        }
    )
    client.force_login(city_official)
    response = client.post(
        reverse("reports:report_request"),
        {"kind": "city", "city_code": "HHHT"},
        HTTP_X_REQUEST_ID="req-report-0001",
    )
    assert response.status_code == 302
    job = ReportJob.objects.get()

    def done() -> bool:
        job.refresh_from_db()
        return job.state == ReportJobState.DONE

    wait_for(done, what="the worker to render the report")

    def logged() -> list[dict]:
        if not log_file.exists():
            return []
        lines = [json.loads(line) for line in log_file.read_text().splitlines() if line]
        return [line for line in lines if line.get("logger") == "reports.services"]

    (line,) = wait_for(logged, timeout=10, what="the worker's log line")
    assert line["request_id"] == "req-report-0001"
    assert line["job_id"] == job.pk
    with transaction.atomic():
        os.unlink(job.file.path)
