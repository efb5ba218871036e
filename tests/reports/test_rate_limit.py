"""The hourly limit on new report renders per user, counted from the job rows themselves."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from reports import services
from reports.models import ReportJob, ReportJobState
from sme_pilot import ratelimits
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db

LIMIT = 3


@pytest.fixture(autouse=True)
def limited(renderer, settings):
    settings.REPORTS_REQUESTS_PER_HOUR = LIMIT


def day(n: int) -> str:
    """A distinct as-of date: each is a different report, so a new render."""
    return (timezone.localdate() - dt.timedelta(days=n)).isoformat()


def ask(client, n: int, code: str = "HHHT"):
    return client.post(
        reverse("reports:report_request"), {"kind": "city", "city_code": code, "as_of": day(n)}
    )


def assert_too_frequent(response, minutes: int | None = None) -> str:
    assert response.status_code == 429
    page = response.content.decode()
    assert 'id="report-too-frequent"' in page
    assert "报告请求过于频繁" in page and f"每小时最多申请生成 {LIMIT} 份新报告" in page
    if minutes is not None:
        assert f"请 {minutes} 分钟后再试" in page
        assert 60 * (minutes - 1) < int(response["Retry-After"]) <= 60 * minutes
    else:
        assert "分钟后再试" in page
    return page


def test_under_the_limit_every_request_makes_a_job(client, city_official, sub_industry):
    client.force_login(city_official)
    for n in range(LIMIT):
        response = ask(client, n)
        job = ReportJob.objects.get(params__as_of=day(n))
        assert response.status_code == 302
        assert response["Location"] == reverse("reports:report_detail", args=[job.pk])
    assert ReportJob.objects.filter(requested_by=city_official).count() == LIMIT


def test_at_the_limit_a_new_render_is_429_with_a_message_and_writes_nothing(
    client, city_official, sub_industry
):
    client.force_login(city_official)
    for n in range(LIMIT):
        assert ask(client, n).status_code == 302
    ids = set(ReportJob.objects.values_list("pk", flat=True))

    page = assert_too_frequent(ask(client, LIMIT), minutes=60)
    assert "我的报告" in page  # the page the user can act on: their existing reports
    assert set(ReportJob.objects.values_list("pk", flat=True)) == ids
    assert not ReportJob.objects.filter(params__as_of=day(LIMIT)).exists()


def test_the_wait_is_until_the_oldest_job_leaves_the_hour(client, city_official, sub_industry):
    client.force_login(city_official)
    for n in range(LIMIT):
        assert ask(client, n).status_code == 302
    now = timezone.now()
    for n, minutes_ago in enumerate([45, 30, 5]):
        ReportJob.objects.filter(params__as_of=day(n)).update(
            created_at=now - dt.timedelta(minutes=minutes_ago)
        )
    assert_too_frequent(ask(client, LIMIT), minutes=15)

    ReportJob.objects.filter(params__as_of=day(0)).update(created_at=now - dt.timedelta(minutes=61))
    assert ask(client, LIMIT).status_code == 302
    assert ReportJob.objects.filter(params__as_of=day(LIMIT)).exists()


def test_reusing_an_existing_job_is_not_counted(client, city_official, ministry_user, sub_industry):
    client.force_login(city_official)
    assert ask(client, 0).status_code == 302
    for _ in range(LIMIT + 2):  # the same data again: the same job, however often
        response = ask(client, 0)
        assert response.status_code == 302
    assert ReportJob.objects.count() == 1

    # Another user's job reused by this user does not count against them either.
    client.force_login(ministry_user)
    assert ask(client, 1).status_code == 302
    client.force_login(city_official)
    assert ask(client, 1).status_code == 302
    assert ReportJob.objects.filter(requested_by=city_official).count() == 1

    for n in range(2, LIMIT + 1):  # two more of their own reach the limit
        assert ask(client, n).status_code == 302
    assert ReportJob.objects.filter(requested_by=city_official).count() == LIMIT
    assert_too_frequent(ask(client, LIMIT + 1))
    # At the limit, asking for a report that exists is still answered with it.
    existing = ReportJob.objects.get(params__as_of=day(1))
    response = ask(client, 1)
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:report_detail", args=[existing.pk])
    assert ReportJob.objects.count() == LIMIT + 1


def test_the_limit_is_per_user(client, city_official, ministry_user, sub_industry):
    client.force_login(city_official)
    for n in range(LIMIT):
        assert ask(client, n).status_code == 302
    assert_too_frequent(ask(client, LIMIT))

    client.force_login(ministry_user)
    for n in range(LIMIT, 2 * LIMIT):
        assert ask(client, n).status_code == 302
    assert ReportJob.objects.filter(requested_by=ministry_user).count() == LIMIT
    assert_too_frequent(ask(client, 2 * LIMIT))


def test_a_retry_is_a_new_render_and_is_limited_too(client, city_official, sub_industry):
    client.force_login(city_official)
    for n in range(LIMIT):
        assert ask(client, n).status_code == 302
    failed = ReportJob.objects.get(params__as_of=day(0))
    ReportJob.objects.filter(pk=failed.pk).update(state=ReportJobState.FAILED)

    assert_too_frequent(client.post(reverse("reports:report_retry", args=[failed.pk])))
    assert ReportJob.objects.count() == LIMIT


def test_the_service_raises_and_writes_nothing(city_official, sub_industry):
    for n in range(LIMIT):
        services.report_request(
            actor=city_official,
            kind="city",
            city_code="HHHT",
            as_of=dt.date.fromisoformat(day(n)),
        )
    with pytest.raises(services.ReportRequestsTooFrequent) as raised:
        services.report_request(
            actor=city_official,
            kind="city",
            city_code="HHHT",
            as_of=dt.date.fromisoformat(day(LIMIT)),
        )
    assert raised.value.minutes == 60
    assert "报告请求过于频繁" in raised.value.message
    assert ReportJob.objects.count() == LIMIT
    assert services.report_request_wait(actor=city_official) is not None
    later = timezone.now() + ratelimits.WINDOW + dt.timedelta(seconds=1)
    assert services.report_request_wait(actor=city_official, now=later) is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_requests_by_one_user_cannot_both_pass_the_limit(city_official, sub_industry):
    """Two requests (two web processes) at one below the limit: exactly one new job."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    for n in range(LIMIT - 1):
        services.report_request(
            actor=city_official, kind="city", city_code="HHHT", as_of=dt.date.fromisoformat(day(n))
        )
    outcomes: list[object] = []

    def ask_in_a_thread(n: int) -> None:
        try:
            outcomes.append(
                services.report_request(
                    actor=city_official,
                    kind="city",
                    city_code="HHHT",
                    as_of=dt.date.fromisoformat(day(n)),
                )
            )
        except services.ReportRequestsTooFrequent as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    # Hold the user's row so that both requests get past their checks for an existing job and
    # wait on the lock together; then let them go.
    threads = [threading.Thread(target=ask_in_a_thread, args=(n,)) for n in (LIMIT, LIMIT + 1)]
    with transaction.atomic():
        list(User.objects.select_for_update(no_key=True).filter(pk=city_official.pk))
        for thread in threads:
            thread.start()
        wait_for(lambda: waiting_on_locks() == 2, timeout=30, what="both requests to wait")
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(type(o).__name__ for o in outcomes) == ["ReportJob", "ReportRequestsTooFrequent"]
    assert ReportJob.objects.filter(requested_by=city_official).count() == LIMIT


def waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        # Within a transaction PostgreSQL would answer from its first snapshot of the activity.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])
