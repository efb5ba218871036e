"""Notifications (the inbox), each user's preferences, outgoing mail rows and the deadline
notices already sent.

Everything points at users only: the object a notification is about is named by type, id and a
link, so this app sits right above `accounts` and every app that raises events can import it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .choices import Channel, Kind, MailMode, MailState

TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 1000
LINK_MAX_LENGTH = 300


class Mail(models.Model):
    """One outgoing e-mail: the row, not the broker, is the truth about whether it was sent."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name="收件人",
    )
    to = models.EmailField("收件地址")
    subject = models.CharField("主题", max_length=TITLE_MAX_LENGTH)
    body = models.TextField("正文")
    state = models.CharField(
        "状态", max_length=10, choices=MailState.choices, default=MailState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试时间", default=timezone.now)
    claimed_at = models.DateTimeField("开始发送时间", null=True, blank=True)
    last_error = models.CharField("最近错误", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "邮件"
        verbose_name_plural = "邮件"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["queued", "sending"]),
                name="notifications_mail_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name="接收人",
    )
    kind = models.CharField("类别", max_length=30, choices=Kind.choices)
    title = models.CharField("标题", max_length=TITLE_MAX_LENGTH)
    body = models.CharField("内容", max_length=BODY_MAX_LENGTH, blank=True)
    link = models.CharField("链接", max_length=LINK_MAX_LENGTH, blank=True)
    # The object the notification is about ("project", 12): for dedupe and the admin.
    subject_type = models.CharField("对象类型", max_length=30, blank=True)
    subject_id = models.BigIntegerField("对象编号", null=True, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    # Waiting for the user's daily digest; set to False when the digest mail is queued.
    mail_pending = models.BooleanField("待汇总发送", default=False)
    mail = models.ForeignKey(
        Mail,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name="邮件",
    )

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at", "-id"], name="notifications_inbox_idx"
            ),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notifications_unread_idx",
            ),
            models.Index(
                fields=["recipient"],
                condition=Q(mail_pending=True),
                name="notifications_digest_idx",
            ),
            models.Index(fields=["created_at"], name="notifications_created_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Preferences(models.Model):
    """A user's channel per kind (missing kinds: the default) and how mail is sent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name="用户",
    )
    channels = models.JSONField("各类通知的接收方式", default=dict, blank=True)
    mail_mode = models.CharField(
        "邮件发送方式", max_length=10, choices=MailMode.choices, default=MailMode.IMMEDIATE
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "通知设置"
        verbose_name_plural = "通知设置"

    def __str__(self) -> str:
        return str(self.user)

    def channel_for(self, kind: str) -> str:
        value = self.channels.get(kind)
        return value if value in Channel.values else DEFAULT_CHANNEL


DEFAULT_CHANNEL = Channel.IN_APP


class DeadlineNotice(models.Model):
    """A deadline already announced: one row per item and threshold, so the daily task never
    sends the same reminder twice."""

    item = models.CharField("事项", max_length=100)  # e.g. "acceptance_overdue:project:12"
    threshold = models.PositiveSmallIntegerField("阈值（天）", default=0)
    created_at = models.DateTimeField("提醒时间", default=timezone.now)

    class Meta:
        verbose_name = "期限提醒记录"
        verbose_name_plural = "期限提醒记录"
        constraints = [
            models.UniqueConstraint(
                fields=["item", "threshold"], name="notifications_deadlinenotice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} ({self.threshold})"
