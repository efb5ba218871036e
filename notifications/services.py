"""Writes of notifications: raising an event, reading and preferences, mail and its retries,
deadline reminders once, and the 180-day cleanup.

Services of the other apps raise events with `notify_on_commit` inside their transaction: the
notification is written only once their change is committed, and a rolled-back move notifies
nobody. Who receives it is read at that moment (`recipients.user_ids`), then each recipient's
preference decides: nothing, in-app only, or in-app plus an e-mail (now or in the daily digest).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from sme_pilot.errors import Invalid, NotFound
from sme_pilot.jobs import _task

from . import sms
from .choices import Channel, Kind, MailMode, MailState
from .models import (
    BODY_MAX_LENGTH,
    LINK_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    DeadlineNotice,
    Mail,
    Notification,
    Preferences,
)
from .recipients import Audience, user_ids

logger = logging.getLogger(__name__)

SEND_MAIL_TASK = "notifications.send_mail"
UNSUBSCRIBE_SALT = "notifications.unsubscribe"
KEEP_DAYS = 180
# A mail claimed longer ago than this was left by a dead worker: it is queued again.
STUCK_AFTER = dt.timedelta(minutes=10)
# Kinds that are also sent by SMS to accounts with a phone number (through SMS_BACKEND).
SMS_KINDS = frozenset({Kind.ACCEPTANCE_OVERDUE, Kind.COMPLETION_OVERDUE, Kind.PILOT_ENDING})


@dataclass(frozen=True)
class Event:
    """What a notification says and where it leads; `subject` names the object it is about."""

    kind: str
    title: str
    body: str = ""
    link: str = ""
    subject_type: str = ""
    subject_id: int | None = None


def _clip(text: str, limit: int) -> str:
    text = str(text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mail_enabled() -> bool:
    return bool(getattr(settings, "NOTIFICATIONS_MAIL_ENABLED", False))


def _preferences(ids: list[int]) -> dict[int, Preferences]:
    """The users' preference rows (a user without one has the defaults)."""
    rows = Preferences.objects.filter(user_id__in=ids).only("user_id", "channels", "mail_mode")
    return {p.user_id: p for p in rows}


def notify(
    *, recipients: Audience | Iterable[int], event: Event, exclude: int | None = None
) -> list[Notification]:
    """Write the event's notifications now (and queue its mails), honouring each preference."""
    if event.kind not in Kind.values:
        raise ValueError(f"unknown notification kind {event.kind!r}")
    ids = [pk for pk in user_ids(recipients) if pk != exclude]
    if not ids:
        return []
    prefs = _preferences(ids)
    users = {u.pk: u for u in User.objects.filter(pk__in=ids).only("pk", "email", "phone")}
    now = timezone.now()
    title = _clip(event.title, TITLE_MAX_LENGTH)
    body = _clip(event.body, BODY_MAX_LENGTH)
    link = event.link if len(event.link) <= LINK_MAX_LENGTH else ""
    notes: list[Notification] = []
    mails: list[Mail] = []
    for pk in ids:
        pref = prefs.get(pk) or Preferences(user_id=pk)
        channel, mode = pref.channel_for(event.kind), pref.mail_mode
        if channel == Channel.NONE:
            continue
        note = Notification(
            recipient_id=pk,
            kind=event.kind,
            title=title,
            body=body,
            link=link,
            subject_type=event.subject_type[:30],
            subject_id=event.subject_id,
            created_at=now,
        )
        email = users[pk].email
        if channel == Channel.EMAIL and email and mail_enabled():
            if mode == MailMode.DIGEST:
                note.mail_pending = True
            else:
                mail = Mail(
                    recipient_id=pk,
                    to=email,
                    subject=title,
                    body=_mail_body(pk, [note]),
                    created_at=now,
                    next_attempt_at=now,
                )
                mails.append(mail)
                note.mail = mail
        notes.append(note)
    with transaction.atomic():
        Mail.objects.bulk_create(mails)  # their pks reach `note.mail_id` in the next bulk_create
        Notification.objects.bulk_create(notes)
        for mail in mails:
            transaction.on_commit(partial(enqueue_mail, mail.pk))
        if event.kind in SMS_KINDS:
            phones = [
                (users[n.recipient_id].phone, n) for n in notes if users[n.recipient_id].phone
            ]
            transaction.on_commit(partial(sms.send_many, phones))
    return notes


def notify_on_commit(
    *, recipients: Audience | Iterable[int], event: Event, exclude: int | None = None
) -> None:
    """`notify` once the caller's transaction commits (at once outside one). Recipients are read
    then, so a change rolled back notifies nobody and a committed one sees its own rows."""
    if not isinstance(recipients, Audience):
        recipients = list(recipients)
    transaction.on_commit(partial(_notify_safely, recipients, event, exclude))


def _notify_safely(recipients: Audience | list[int], event: Event, exclude: int | None) -> None:
    """After the commit the caller's work is done: a failure here is logged, never raised into
    a response that already succeeded."""
    try:
        notify(recipients=recipients, event=event, exclude=exclude)
    except Exception:
        logger.exception("notification %s could not be written", event.kind)


# --- reading ----------------------------------------------------------------------------------


def notification_open(*, user: User, notification_id: int) -> Notification:
    """Mark the user's own notification read and return it (someone else's: NotFound)."""
    note = Notification.objects.filter(recipient=user, pk=notification_id).first()
    if note is None:
        raise NotFound("没有找到该通知")
    if note.read_at is None:
        note.read_at = timezone.now()
        Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=note.read_at)
    return note


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- preferences and unsubscribing -------------------------------------------------------------


def preferences_of(user: User) -> Preferences:
    return Preferences.objects.filter(user=user).first() or Preferences(user=user)


def preferences_update(*, user: User, channels: Mapping[str, str], mail_mode: str) -> Preferences:
    """Save the channel per kind and the mail mode; unknown kinds or values are refused."""
    unknown = [k for k in channels if k not in Kind.values]
    if unknown:
        raise Invalid("未知的通知类别")
    if any(v not in Channel.values for v in channels.values()):
        raise Invalid("请选择有效的接收方式")
    if mail_mode not in MailMode.values:
        raise Invalid("请选择有效的邮件发送方式")
    with transaction.atomic():
        prefs, _ = Preferences.objects.select_for_update().get_or_create(user=user)
        prefs.channels = {k: v for k, v in channels.items() if v != Channel.IN_APP}
        prefs.mail_mode = mail_mode
        prefs.save()
    return prefs


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


@dataclass(frozen=True)
class Unsubscribed:
    user: User
    kind: str

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)


def unsubscribe_check(token: str) -> Unsubscribed:
    """What a token unsubscribes from; a forged, altered or expired one: Invalid, in Chinese."""
    max_age = settings.NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE
    try:
        data = signing.loads(str(token)[:500], salt=UNSUBSCRIBE_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise Invalid("退订链接已过期，请登录后在“通知设置”中修改接收方式。") from None
    except signing.BadSignature:
        raise Invalid("退订链接无效，请检查链接是否完整，或登录后在“通知设置”中修改。") from None
    if not isinstance(data, dict) or data.get("k") not in Kind.values:
        raise Invalid("退订链接无效，请检查链接是否完整，或登录后在“通知设置”中修改。")
    user_id = data.get("u")
    user = (
        User.objects.filter(pk=user_id, is_active=True).first()
        if isinstance(user_id, int)
        else None
    )
    if user is None:
        raise Invalid("退订链接无效，请检查链接是否完整，或登录后在“通知设置”中修改。")
    return Unsubscribed(user=user, kind=str(data["k"]))


def unsubscribe(token: str) -> Unsubscribed:
    """Stop mail of the token's kind for its user (in-app notifications stay)."""
    found = unsubscribe_check(token)
    with transaction.atomic():
        prefs, _ = Preferences.objects.select_for_update().get_or_create(user=found.user)
        if prefs.channel_for(found.kind) == Channel.EMAIL:
            channels = dict(prefs.channels)
            channels.pop(found.kind, None)
            prefs.channels = channels
            prefs.save()
    return found


# --- mail -------------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _mail_body(user_id: int, notes: list[Notification]) -> str:
    lines = []
    for note in notes:
        lines.append(f"【{Kind(note.kind).label}】{note.title}")
        if note.body:
            lines.append(note.body)
        if note.link:
            lines.append(f"查看：{_absolute(note.link)}")
        lines.append("")
    kinds = sorted({n.kind for n in notes})
    lines.append("——")
    lines.append("本邮件由中小企业数字化转型城市试点系统自动发送，请勿回复。")
    for kind in kinds:
        token = unsubscribe_token(user_id=user_id, kind=kind)
        url = _absolute(reverse("notifications:unsubscribe", args=[token]))
        lines.append(f"不再通过邮件接收“{Kind(kind).label}”：{url}")
    lines.append(f"修改通知设置：{_absolute(reverse('notifications:preferences'))}")
    return "\n".join(lines)


def enqueue_mail(mail_id: int, *, countdown: float | None = None) -> bool:
    """Send the mail's task; never raises (the sweeper sends what the broker lost)."""
    try:
        task = _task(SEND_MAIL_TASK)
        if countdown:
            task.apply_async((mail_id,), countdown=countdown)
        else:
            task.delay(mail_id)
    except Exception:
        logger.exception("mail %s: could not enqueue, the sweeper will retry", mail_id)
        return False
    return True


def _retry_delay(attempts: int) -> int:
    delays = settings.NOTIFICATIONS_MAIL_RETRY_DELAYS
    return int(delays[min(attempts, len(delays)) - 1])


def mail_send(*, mail_id: int, now: dt.datetime | None = None) -> int | None:
    """Send one queued mail that is due, once: the claim (queued → sending) lets one delivery
    through. Returns the seconds until the next attempt after a failure, else None.

    SMTP failures put the mail back in the queue with backoff; after the last attempt it is
    marked failed with the error. The in-app notification is there whatever happens."""
    now = now or timezone.now()
    claimed = Mail.objects.filter(
        pk=mail_id, state=MailState.QUEUED, next_attempt_at__lte=now
    ).update(state=MailState.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    mail = Mail.objects.get(pk=mail_id)
    try:
        message = EmailMessage(
            subject=mail.subject,
            body=mail.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[mail.to],
            connection=get_connection(fail_silently=False),
        )
        message.send()
    except (OSError, smtplib.SMTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
        final = mail.attempts >= len(settings.NOTIFICATIONS_MAIL_RETRY_DELAYS) + 1
        if final:
            logger.warning("mail %s: failed after %s attempts: %s", mail_id, mail.attempts, error)
            Mail.objects.filter(pk=mail_id, state=MailState.SENDING).update(
                state=MailState.FAILED, last_error=error, claimed_at=None
            )
            return None
        delay = _retry_delay(mail.attempts)
        logger.info(
            "mail %s: attempt %s failed (%s), retry in %ss", mail_id, mail.attempts, error, delay
        )
        Mail.objects.filter(pk=mail_id, state=MailState.SENDING).update(
            state=MailState.QUEUED,
            last_error=error,
            claimed_at=None,
            next_attempt_at=now + dt.timedelta(seconds=delay),
        )
        return delay
    Mail.objects.filter(pk=mail_id).update(
        state=MailState.SENT, sent_at=timezone.now(), claimed_at=None, last_error=""
    )
    return None


def mail_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Queue again the mails a dead worker left claimed; send every queued mail that is due
    (a lost or not yet delivered task does no harm: the claim lets one send through)."""
    now = now or timezone.now()
    stuck = Mail.objects.filter(state=MailState.SENDING, claimed_at__lt=now - STUCK_AFTER).update(
        state=MailState.QUEUED, claimed_at=None, next_attempt_at=now
    )
    due = list(
        Mail.objects.filter(state=MailState.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:500]
    )
    for pk in due:
        enqueue_mail(pk)
    return {"requeued": stuck, "sent": len(due)}


def digests_send(*, now: dt.datetime | None = None) -> int:
    """One digest mail per user with notifications waiting for it; returns the mails queued."""
    now = now or timezone.now()
    queued = 0
    waiting = (
        Notification.objects.filter(mail_pending=True)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    for user_id in list(waiting):
        with transaction.atomic():
            notes = list(
                Notification.objects.select_for_update()
                .filter(recipient_id=user_id, mail_pending=True)
                .order_by("created_at", "pk")
            )
            user = User.objects.filter(pk=user_id).only("email").first()
            if not notes or user is None:
                continue
            if not user.email:
                Notification.objects.filter(pk__in=[n.pk for n in notes]).update(mail_pending=False)
                continue
            mail = Mail.objects.create(
                recipient_id=user_id,
                to=user.email,
                subject=f"通知汇总：{len(notes)} 条新通知",
                body=_mail_body(user_id, notes),
                created_at=now,
                next_attempt_at=now,
            )
            Notification.objects.filter(pk__in=[n.pk for n in notes]).update(
                mail_pending=False, mail=mail
            )
            transaction.on_commit(partial(enqueue_mail, mail.pk))
            queued += 1
    return queued


# --- deadlines and cleanup --------------------------------------------------------------------


def notify_once(
    *, item: str, threshold: int, recipients: Audience | Iterable[int], event: Event
) -> bool:
    """Notify about a deadline item at a threshold unless already done; True if sent now.

    The unique (item, threshold) row is written in the same transaction as the notifications,
    so two runs at once, or a run that crashes half-way, never send one reminder twice."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                DeadlineNotice.objects.create(item=item[:100], threshold=threshold)
        except IntegrityError:
            return False
        notify(recipients=recipients, event=event)
    return True


def notifications_cleanup(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete notifications older than 180 days, and finished mails as old."""
    before = (now or timezone.now()) - dt.timedelta(days=KEEP_DAYS)
    notes, _ = Notification.objects.filter(created_at__lt=before).delete()
    mails, _ = Mail.objects.filter(
        created_at__lt=before, state__in=(MailState.SENT, MailState.FAILED)
    ).delete()
    return {"notifications": notes, "mails": mails}
