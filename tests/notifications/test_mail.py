"""E-mail against a real SMTP server (aiosmtpd, tests/notifications/conftest.py), not locmem:
SMTP down then up sends every mail exactly once, retries end in `failed` with nothing lost
in-app, the digest, and the unsubscribe link a mail carries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from notifications import services
from notifications.choices import Channel, Kind, MailMode, MailState
from notifications.models import Mail, Notification, Preferences
from projects import rules
from projects.models import Project
from projects.services import documents, pipeline
from tests.cities.factories import (
    CityFactory,
    EnterpriseFactory,
    SubIndustryFactory,
    UserFactory,
)
from tests.conftest import skip_without_worker_services, wait_for
from tests.providers.factories import LibraryEntryFactory, ProviderFactory

EVENT = services.Event(kind=Kind.FILING_RETURNED, title="合同备案被退回", link="/my-project/")


def _subscribers(n, *, mode=MailMode.IMMEDIATE, prefix="m"):
    users = [
        UserFactory(username=f"{prefix}{i}", email=f"{prefix}{i}@example.cn", role=Role.MINISTRY)
        for i in range(n)
    ]
    for user in users:
        Preferences.objects.create(
            user=user, channels={k: Channel.EMAIL for k in Kind.values}, mail_mode=mode
        )
    return users


def _backoff_elapsed():
    Mail.objects.filter(state=MailState.QUEUED).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


@pytest.mark.django_db
def test_smtp_down_then_up_sends_every_mail_exactly_once(
    mail_settings, smtp, django_capture_on_commit_callbacks
):
    users = _subscribers(3)
    # SMTP down: nothing listens on the port yet. The notifications are there all the same.
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipients=[u.pk for u in users], event=EVENT)
    assert Notification.objects.filter(read_at__isnull=True).count() == 3
    rows = list(Mail.objects.values_list("state", "attempts"))
    assert rows == [(MailState.QUEUED, 1)] * 3
    assert all("Connection" in e for e in Mail.objects.values_list("last_error", flat=True))
    # Before the backoff has passed, the sweeper sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.mail_sweep()["sent"] == 0

    smtp.start()
    _backoff_elapsed()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.mail_sweep()["sent"] == 3
        # A second delivery of every task, and another sweep: nothing more leaves.
        for pk in Mail.objects.values_list("pk", flat=True):
            services.mail_send(mail_id=pk)
        assert services.mail_sweep()["sent"] == 0
    assert list(Mail.objects.values_list("state", "attempts")) == [(MailState.SENT, 2)] * 3
    for user in users:
        (message,) = smtp.inbox.to(user.email)
        assert message["Subject"] == "合同备案被退回"
        assert "https://pilot.example.cn/my-project/" in message.get_content()


@pytest.mark.django_db
def test_smtp_down_for_good_ends_failed_and_nothing_is_lost(
    mail_settings, smtp, django_capture_on_commit_callbacks
):
    (user,) = _subscribers(1)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipients=[user.pk], event=EVENT)
    mail = Mail.objects.get()
    attempts = len(mail_settings.NOTIFICATIONS_MAIL_RETRY_DELAYS) + 1
    for _ in range(attempts - 1):
        _backoff_elapsed()
        services.mail_send(mail_id=mail.pk)
    mail.refresh_from_db()
    assert (mail.state, mail.attempts) == (MailState.FAILED, attempts)
    assert "Connection" in mail.last_error
    _backoff_elapsed()
    assert services.mail_send(mail_id=mail.pk) is None  # failed stays failed
    assert Notification.objects.get().mail_id == mail.pk  # and it is in the inbox
    assert smtp.inbox.messages == []


@pytest.mark.django_db
def test_a_mail_left_by_a_dead_worker_is_sent_again(
    mail_settings, smtp, django_capture_on_commit_callbacks
):
    (user,) = _subscribers(1)
    smtp.start()
    mail = Mail.objects.create(recipient=user, to=user.email, subject="遗留", body="正文")
    Mail.objects.filter(pk=mail.pk).update(
        state=MailState.SENDING, attempts=1, claimed_at=timezone.now() - dt.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.mail_sweep() == {"requeued": 1, "sent": 1}
    assert len(smtp.inbox.to(user.email)) == 1


@pytest.mark.django_db
def test_the_daily_digest_is_one_mail_with_every_waiting_notification(
    client, mail_settings, smtp, django_capture_on_commit_callbacks
):
    (user,) = _subscribers(1, mode=MailMode.DIGEST)
    smtp.start()
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipients=[user.pk], event=EVENT)
        services.notify(
            recipients=[user.pk], event=services.Event(kind=Kind.SUBSIDY_PAID, title="奖补已拨付")
        )
    assert smtp.inbox.messages == [] and not Mail.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.digests_send() == 1
        assert services.digests_send() == 0
    (message,) = smtp.inbox.to(user.email)
    body = message.get_content()
    assert "合同备案被退回" in body and "奖补已拨付" in body
    assert message["Subject"] == "通知汇总：2 条新通知"
    # Each kind in it has its own unsubscribe link, and it works.
    links = re.findall(r"https://pilot\.example\.cn(/notifications/unsubscribe/[^/\s]+/)", body)
    assert len(links) == 2
    client.post(links[0])
    kinds = {Kind.FILING_RETURNED, Kind.SUBSIDY_PAID}
    prefs = Preferences.objects.get(user=user)
    assert sorted(prefs.channel_for(k) for k in kinds) == [Channel.EMAIL, Channel.IN_APP]


@pytest.mark.django_db
def test_without_email_url_nothing_is_mailed(settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_MAIL_ENABLED = False
    (user,) = _subscribers(1)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(recipients=[user.pk], event=EVENT)
    assert Notification.objects.count() == 1
    assert not Mail.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@skip_without_worker_services
def test_a_worker_retries_with_backoff_until_smtp_is_back(start_celery_worker, mail_settings, smtp):
    start_celery_worker({"EMAIL_URL": smtp.url, "NOTIFICATIONS_MAIL_RETRY_DELAYS": "1,2,4,8,16"})
    users = _subscribers(3, prefix="w")
    with transaction.atomic():
        services.notify(recipients=[u.pk for u in users], event=EVENT)

    def all_tried_once():
        return all(a >= 1 and e for a, e in Mail.objects.values_list("attempts", "last_error"))

    wait_for(all_tried_once, what="the worker's first attempts against a closed port")
    smtp.start()

    def all_sent():
        return set(Mail.objects.values_list("state", flat=True)) == {MailState.SENT}

    wait_for(all_sent, timeout=40, what="the retries to reach the server")
    assert all(a >= 2 for a in Mail.objects.values_list("attempts", flat=True))
    for user in users:
        assert len(smtp.inbox.to(user.email)) == 1


@pytest.mark.django_db
def test_smtp_down_never_fails_the_page_that_raised_the_event(
    client, mail_settings, smtp, django_capture_on_commit_callbacks, tmp_path
):
    """The official returns a filing while SMTP is down: the page succeeds, the enterprise's
    notification is in its inbox and its mail waits in the queue for the next attempt."""
    mail_settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    city = CityFactory(code="SMT", name="邮件测试市")
    firm = EnterpriseFactory(sub_industry=SubIndustryFactory(city=city, code="S1", name="装备"))
    provider = ProviderFactory()
    LibraryEntryFactory(city=city, provider=provider)
    ent = UserFactory(role=Role.ENTERPRISE, enterprise=firm, email="ent@example.cn")
    Preferences.objects.create(user=ent, channels={Kind.FILING_RETURNED: Channel.EMAIL})
    official = UserFactory(role=Role.CITY_OFFICIAL, city=city)
    project = Project.objects.create(
        enterprise=firm,
        provider=provider,
        **{rules.date_field(s): dt.date(2026, 1, 5) for s in rules.STAGES[:4]},
    )
    documents.document_add(
        actor=ent,
        project_id=project.pk,
        stage="contract_filed",
        doc_type=rules.DOC_CONTRACT,
        upload=ContentFile(b"%PDF-1.4\n%%EOF\n", name="合同.pdf"),
    )
    today = timezone.localdate()
    contract = pipeline.Contract(
        contract_no="SMT-1",
        signed_on=today,
        amount="1000",
        planned_completion_on=today + dt.timedelta(days=30),
        lines={"software": "1000"},
    )
    pipeline.file_contract(actor=ent, project_id=project.pk, contract=contract)
    client.force_login(official)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/projects/{project.pk}/move/return_filing/", {"comment": "缺少盖章页"}
        )
    assert (response.status_code, response["Location"]) == (302, f"/projects/{project.pk}/")
    assert Notification.objects.filter(recipient=ent, kind=Kind.FILING_RETURNED).count() == 1
    mail = Mail.objects.get(recipient=ent)
    assert (mail.state, mail.attempts) == (MailState.QUEUED, 1)
    assert mail.next_attempt_at > timezone.now()
