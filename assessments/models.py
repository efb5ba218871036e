"""Assessments of an enterprise's digital level.

This first cut holds what the registry's `levels` import needs: who was assessed, when, for what
purpose, by which method, the level and score, and the state. The online questionnaire, indicator
revisions and the truthfulness pledge extend it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class Purpose(models.TextChoices):
    SELF_CHECK = "self_check", "自评"
    BASELINE = "baseline", "改造前"
    POST = "post", "改造后"


class Method(models.TextChoices):
    SELF = "self", "自评"
    ONSITE = "onsite", "现场评定"


class State(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    CONFIRMED = "confirmed", "已确认"
    RETURNED = "returned", "已退回"


class Source(models.TextChoices):
    ONLINE = "online", "在线填报"
    IMPORT = "import", "批量导入"


LEVEL_NAMES = {0: "未达一级", 1: "一级", 2: "二级", 3: "三级", 4: "四级"}


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def confirmed(self) -> AssessmentQuerySet:
        return self.filter(state=State.CONFIRMED)


class Assessment(models.Model):
    enterprise = models.ForeignKey(
        "cities.Enterprise",
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name="企业",
    )
    purpose = models.CharField("评测目的", max_length=20, choices=Purpose.choices)
    method = models.CharField("评定方式", max_length=10, choices=Method.choices)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.DRAFT)
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.ONLINE)
    level = models.PositiveSmallIntegerField("数字化水平等级", null=True, blank=True)
    total_score = models.DecimalField("总分", max_digits=6, decimal_places=3, null=True, blank=True)
    assessed_on = models.DateField("评定日期")
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name="更正的评测",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="创建人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["enterprise", "-assessed_on", "-id"]
        verbose_name = "评测"
        verbose_name_plural = "评测"
        indexes = [
            models.Index(
                fields=["enterprise", "state", "assessed_on"], name="assess_ent_state_date_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(level__gte=0, level__lte=4),
                name="assessments_assessment_level_range",
            ),
            models.CheckConstraint(
                condition=Q(total_score__isnull=True) | Q(total_score__gte=0, total_score__lte=100),
                name="assessments_assessment_score_range",
            ),
            models.CheckConstraint(
                condition=~Q(state="confirmed") | Q(method="onsite"),
                name="assessments_assessment_confirmed_is_onsite",
            ),
            models.UniqueConstraint(
                fields=["enterprise", "assessed_on", "purpose", "method"],
                condition=Q(source="import"),
                name="assessments_assessment_unique_import_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.get_purpose_display()} {self.assessed_on}"
