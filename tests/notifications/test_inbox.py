"""The bell, the inbox and the preference and unsubscribe pages (issue 16 items 1 and 4)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.choices import Channel, Kind, MailMode
from notifications.models import Notification, Preferences

pytestmark = pytest.mark.django_db

INBOX = "/notifications/"


def _notes(user, n, *, link="/my-project/", **fields):
    now = timezone.now()
    return Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=Kind.FILING_RETURNED,
            title=f"通知{i:03d}",
            link=link,
            created_at=now - dt.timedelta(minutes=i),
            **fields,
        )
        for i in range(n)
    )


def _page_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_bell_costs_one_query_whatever_the_unread_count(client, enterprise_user):
    client.force_login(enterprise_user)
    _notes(enterprise_user, 1)
    few, page = _page_queries(client, "/my-project/")
    assert 'id="nav-bell-count">1</span>' in page
    _notes(enterprise_user, 150)
    many, page = _page_queries(client, "/my-project/")
    assert 'id="nav-bell-count">99+</span>' in page
    assert few == many
    Notification.objects.update(read_at=timezone.now())
    none, page = _page_queries(client, "/my-project/")
    assert "nav-bell-count" not in page
    assert none == many


def test_the_inbox_is_paginated_with_a_bounded_number_of_queries(
    client, enterprise_user, django_assert_max_num_queries
):
    _notes(enterprise_user, 45)
    client.force_login(enterprise_user)
    # session, user, the page's count and rows, the bell
    with django_assert_max_num_queries(6):
        first = client.get(INBOX).content.decode()
    assert first.count('class="notification-link"') == 20
    assert "通知000" in first and "第 1 / 3 页" in first
    last = client.get(INBOX, {"page": 3}).content.decode()
    assert last.count('class="notification-link"') == 5
    assert "通知044" in last


def test_filters_read_unread_all(client, enterprise_user):
    read = _notes(enterprise_user, 2, read_at=timezone.now())
    _notes(enterprise_user, 3)
    client.force_login(enterprise_user)

    def rows(show):
        return client.get(INBOX, {"show": show}).content.decode().count('class="notification-link"')

    assert (rows("unread"), rows("read"), rows("all"), rows("nonsense")) == (3, 2, 5, 3)
    assert read[0].title in client.get(INBOX, {"show": "read"}).content.decode()


def test_opening_marks_read_and_lands_on_the_object(client, enterprise_user):
    (note,) = _notes(enterprise_user, 1, link="/my-project/")
    client.force_login(enterprise_user)
    response = client.get(reverse("notifications:open", args=[note.pk]))
    assert (response.status_code, response["Location"]) == (302, "/my-project/")
    note.refresh_from_db()
    assert note.read_at is not None


@pytest.mark.parametrize("link", ["https://evil.example/x", "//evil.example/x", "", "/\\evil"])
def test_a_link_off_the_site_goes_to_the_inbox(client, enterprise_user, link):
    (note,) = _notes(enterprise_user, 1, link=link)
    client.force_login(enterprise_user)
    response = client.get(reverse("notifications:open", args=[note.pk]))
    assert response["Location"] == reverse("notifications:inbox")


def test_another_users_notification_is_404_and_stays_unread(
    client, enterprise_user, other_enterprise_user
):
    (note,) = _notes(other_enterprise_user, 1)
    client.force_login(enterprise_user)
    assert client.get(reverse("notifications:open", args=[note.pk])).status_code == 404
    client.post(reverse("notifications:mark_all_read"))
    note.refresh_from_db()
    assert note.read_at is None
    assert note.title not in client.get(INBOX, {"show": "all"}).content.decode()


def test_mark_all_read_marks_only_the_users_own(client, enterprise_user, other_enterprise_user):
    _notes(enterprise_user, 3)
    _notes(other_enterprise_user, 2)
    client.force_login(enterprise_user)
    assert client.get(reverse("notifications:mark_all_read")).status_code == 405
    response = client.post(reverse("notifications:mark_all_read"), follow=True)
    assert "已将 3 条通知标为已读" in response.content.decode()
    unread = Notification.objects.filter(read_at__isnull=True).order_by()
    assert list(unread.values_list("recipient", flat=True).distinct()) == [other_enterprise_user.pk]


def test_preferences_choose_none_and_nothing_is_written(client, enterprise_user):
    client.force_login(enterprise_user)
    url = reverse("notifications:preferences")
    data = {f"channel_{k}": Channel.IN_APP for k in Kind.values}
    data[f"channel_{Kind.FILING_RETURNED}"] = Channel.NONE
    data["mail_mode"] = MailMode.DIGEST
    assert client.post(url, data).status_code == 302
    prefs = Preferences.objects.get(user=enterprise_user)
    assert (prefs.channel_for(Kind.FILING_RETURNED), prefs.mail_mode) == ("none", "digest")
    event = services.Event(kind=Kind.FILING_RETURNED, title="退回")
    assert services.notify(recipients=[enterprise_user.pk], event=event) == []
    other = services.Event(kind=Kind.FILING_APPROVED, title="通过")
    assert len(services.notify(recipients=[enterprise_user.pk], event=other)) == 1


def test_preferences_refuse_unknown_values_and_change_nothing(client, enterprise_user):
    client.force_login(enterprise_user)
    url = reverse("notifications:preferences")
    response = client.post(url, {f"channel_{Kind.FILING_RETURNED}": "sms", "mail_mode": "x"})
    assert response.status_code == 400
    assert "请选择有效的接收方式" in response.content.decode()
    assert not Preferences.objects.exists()


def _mail_prefs(user):
    return Preferences.objects.create(user=user, channels={Kind.FILING_RETURNED: Channel.EMAIL})


def test_unsubscribe_link_stops_mail_of_its_kind_after_confirming(client, enterprise_user):
    _mail_prefs(enterprise_user)
    token = services.unsubscribe_token(user_id=enterprise_user.pk, kind=Kind.FILING_RETURNED)
    url = reverse("notifications:unsubscribe", args=[token])
    page = client.get(url)  # a mail scanner following the link changes nothing
    assert page.status_code == 200 and "确认退订" in page.content.decode()
    assert Preferences.objects.get().channel_for(Kind.FILING_RETURNED) == Channel.EMAIL
    done = client.post(url)
    assert "已为账号 ent 停止通过邮件发送“合同备案被退回”通知" in done.content.decode()
    assert Preferences.objects.get().channel_for(Kind.FILING_RETURNED) == Channel.IN_APP


@pytest.mark.parametrize("case", ["forged", "altered", "expired", "unknown-kind"])
def test_a_forged_or_expired_unsubscribe_link_changes_nothing(
    client, enterprise_user, settings, case
):
    _mail_prefs(enterprise_user)
    good = services.unsubscribe_token(user_id=enterprise_user.pk, kind=Kind.FILING_RETURNED)
    token = {
        "forged": signing.dumps(
            {"u": enterprise_user.pk, "k": Kind.FILING_RETURNED}, key="not-our-key"
        ),
        "altered": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "expired": good,
        "unknown-kind": services.unsubscribe_token(user_id=enterprise_user.pk, kind="nope"),
    }[case]
    if case == "expired":
        settings.NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE = -1
    for method in (client.get, client.post):
        response = method(reverse("notifications:unsubscribe", args=[token]))
        assert response.status_code == 400
        message = "退订链接已过期" if case == "expired" else "退订链接无效"
        assert message in response.content.decode()
    assert Preferences.objects.get().channel_for(Kind.FILING_RETURNED) == Channel.EMAIL


def test_notifications_are_kept_180_days(enterprise_user):
    now = timezone.now()
    old, kept = _notes(enterprise_user, 2)
    Notification.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=181))
    Notification.objects.filter(pk=kept.pk).update(created_at=now - dt.timedelta(days=179))
    assert services.notifications_cleanup(now=now)["notifications"] == 1
    assert list(Notification.objects.values_list("pk", flat=True)) == [kept.pk]
