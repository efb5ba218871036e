"""Assessments of an enterprise's digital level.

This first cut held what the `levels` import needs: who was assessed, when, for what
purpose, by which method, the level and score, and the state. The online questionnaire, indicator
revisions and the truthfulness pledge extend it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from sme_pilot.storage import get_private_storage

from . import evidence
from .choices import LEVEL_NAMES, Method, Purpose, Source, State

__all__ = [  # the enumerations are imported from here too
    "EDITABLE_STATES",
    "LEVEL_NAMES",
    "Assessment",
    "Evidence",
    "IndicatorRevision",
    "IndicatorVersion",
    "LevelMonthCount",
    "Method",
    "PledgeText",
    "Purpose",
    "Source",
    "State",
]

EDITABLE_STATES = (State.DRAFT, State.RETURNED)


class IndicatorVersion(models.Model):
    """An edition of the evaluation indicators, e.g. 2024 (工信厅企业〔2024〕56号)."""

    code = models.CharField("版本", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    document_number = models.CharField("文件号", max_length=50, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "评测指标版本"
        verbose_name_plural = "评测指标版本"

    def __str__(self) -> str:
        return self.name


class IndicatorRevision(models.Model):
    """One immutable state of a version's questions, points, scenes and gates (as JSON)."""

    version = models.ForeignKey(
        IndicatorVersion, on_delete=models.PROTECT, related_name="revisions", verbose_name="版本"
    )
    number = models.PositiveIntegerField("修订号")
    definition = models.JSONField("指标定义")
    note = models.CharField("修订说明", max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="修订人",
    )
    created_at = models.DateTimeField("修订时间", auto_now_add=True)

    class Meta:
        ordering = ["version", "-number"]
        verbose_name = "评测指标修订"
        verbose_name_plural = "评测指标修订"
        constraints = [
            models.UniqueConstraint(
                fields=["version", "number"], name="assessments_indicatorrevision_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="assessments_indicatorrevision_number_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version.code} 第 {self.number} 次修订"


class PledgeText(models.Model):
    """The truthfulness pledge (真实性承诺) an enterprise signs when it submits; versioned text."""

    version = models.CharField("版本", max_length=20, unique=True)
    text = models.TextField("承诺内容")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "真实性承诺文本"
        verbose_name_plural = "真实性承诺文本"

    def __str__(self) -> str:
        return f"承诺文本 {self.version}"


KEPT_SPAN_FIELDS = ("kept_first", "kept_to_month")


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def confirmed(self) -> AssessmentQuerySet:
        return self.filter(state=State.CONFIRMED)

    def editable(self) -> AssessmentQuerySet:
        return self.filter(state__in=EDITABLE_STATES)


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
    based_on = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="onsite_assessments",
        verbose_name="依据的自评",
    )
    revision = models.ForeignKey(
        IndicatorRevision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name="指标修订",
    )
    # The questionnaire: {"Q1": ["B", "D"], "Q2": "C", …}, {"S01": 2, …}, {"equipment_total": 120}.
    answers = models.JSONField("答题", default=dict, blank=True)
    scenes = models.JSONField("场景评级", default=dict, blank=True)
    data = models.JSONField("补充数据", default=dict, blank=True)
    # Optimistic concurrency for autosave: `edit_version` grows with every saved change and
    # `field_versions` remembers the edit_version at which each field last changed.
    edit_version = models.PositiveIntegerField("编辑版本", default=0)
    field_versions = models.JSONField("字段版本", default=dict, blank=True)
    evidence_notes = models.JSONField("佐证材料说明", default=dict, blank=True)
    foundation_score = models.DecimalField(
        "数字化基础得分", max_digits=6, decimal_places=3, null=True, blank=True
    )
    management_score = models.DecimalField(
        "数字化管理得分", max_digits=6, decimal_places=3, null=True, blank=True
    )
    outcomes_score = models.DecimalField(
        "数字化成效得分", max_digits=6, decimal_places=3, null=True, blank=True
    )
    result = models.JSONField("评测结果", null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    returned_at = models.DateTimeField("退回时间", null=True, blank=True)
    return_comment = models.TextField("退回意见", blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="退回人",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="确认人",
    )
    pledge_signer = models.CharField("承诺人", max_length=50, blank=True)
    pledge_title = models.CharField("承诺人职务", max_length=50, blank=True)
    pledged_at = models.DateTimeField("承诺时间", null=True, blank=True)
    pledge_text = models.ForeignKey(
        PledgeText,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name="承诺文本版本",
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
    # The assessment's span in its enterprise's level history (docs/rules.md "Kept level
    # history"), kept by `services.refresh_current_level` for confirmed rows (NULL otherwise):
    # whether it is the enterprise's first confirmed assessment, and the month (year × 12 +
    # month − 1) of the next one (NULL: none, the span is open). `save()` never writes them.
    kept_first = models.BooleanField("首次确认评测", null=True, blank=True, editable=False)
    kept_to_month = models.IntegerField("有效至月份", null=True, blank=True, editable=False)
    history = HistoricalRecords(
        excluded_fields=[
            "answers",
            "scenes",
            "data",
            "field_versions",
            "edit_version",
            *KEPT_SPAN_FIELDS,
        ]
    )

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["enterprise", "-assessed_on", "-id"]
        verbose_name = "评测"
        verbose_name_plural = "评测"
        indexes = [
            models.Index(
                fields=["enterprise", "state", "assessed_on"], name="assess_ent_state_date_idx"
            ),
            # Each enterprise's confirmed assessments in EARLIEST_FIRST order, carrying the level:
            # the city dashboard's level history (trend, baseline) reads them without the table.
            models.Index(
                fields=["enterprise", "assessed_on", "confirmed_at", "id"],
                include=["level"],
                condition=Q(state="confirmed"),
                name="assess_confirmed_history_idx",
            ),
            # Each enterprise's confirmed on-site assessments by purpose, in date order: an
            # accepted project's baseline (the earliest) and after-level (the latest in its
            # window) are one index-only probe each, for the scorecard and provider scores.
            models.Index(
                fields=["enterprise", "purpose", "assessed_on", "confirmed_at", "id"],
                include=["level"],
                condition=Q(state="confirmed", method="onsite"),
                name="assess_onsite_levels_idx",
            ),
            # Each enterprise's scored assessments, newest first: the dashboard's "closest to the
            # line" reads the latest one per enterprise from the index alone, and asks the table
            # only for those with a stored result or answers to score.
            models.Index(
                fields=["enterprise", "-assessed_on", "-id"],
                include=["level", "method", "revision"],
                condition=Q(state__in=["submitted", "confirmed"], level__isnull=False),
                name="assess_scored_latest_idx",
            ),
            models.Index(
                fields=["enterprise"],
                condition=Q(
                    state__in=["submitted", "confirmed"], level__isnull=False, result__isnull=False
                ),
                name="assess_scored_result_idx",
            ),
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
            models.CheckConstraint(
                condition=~Q(state="confirmed") | Q(level__isnull=False),
                name="assessments_assessment_confirmed_has_level",
            ),
            # A submitted self-assessment carries its pledge; imported and on-site ones do not.
            models.CheckConstraint(
                condition=Q(source="import")
                | Q(method="onsite")
                | Q(state__in=["draft", "returned"])
                | (Q(pledged_at__isnull=False) & Q(pledge_text__isnull=False)),
                name="assessments_assessment_submitted_has_pledge",
            ),
            models.UniqueConstraint(
                fields=["enterprise", "assessed_on", "purpose", "method"],
                condition=Q(source="import"),
                name="assessments_assessment_unique_import_key",
            ),
            # A confirmed result has at most one correction (services.assessment_correct).
            models.UniqueConstraint(
                fields=["supersedes"],
                condition=Q(supersedes__isnull=False),
                name="assessments_assessment_one_correction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.get_purpose_display()} {self.assessed_on}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saving an existing row writes every field but the kept span: an instance read before
        `refresh_current_level` rewrote it must not write it back."""
        existing = not self._state.adding and not kwargs.get("force_insert")
        if existing and kwargs.get("update_fields") is None:
            skipped = {*KEPT_SPAN_FIELDS, *self.get_deferred_fields()}  # as Django skips those
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.attname not in skipped and f.name not in skipped
            ]
        super().save(*args, **kwargs)

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES.get(self.level, "—") if self.level is not None else "—"


class Evidence(models.Model):
    """One evidence file (佐证材料) of a questionnaire item: a photo or a PDF, recognised by its
    content (assessments.evidence), stored under a random name in the private storage."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="evidence_files", verbose_name="评测"
    )
    # The question or scene code, as in `Assessment.answers` / `scenes` ("Q3", "S01").
    item = models.CharField("题目", max_length=20)
    file = models.FileField("文件", storage=get_private_storage, max_length=100)
    original_name = models.CharField("原文件名", max_length=evidence.ORIGINAL_NAME_MAX_LENGTH)
    content_type = models.CharField(
        "文件类型",
        max_length=40,
        choices=[(k.content_type, k.label) for k in evidence.KINDS],
    )
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="上传人",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        ordering = ["assessment", "item", "uploaded_at", "id"]
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        indexes = [models.Index(fields=["assessment", "item"], name="assess_evidence_item_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(item=""), name="assessments_evidence_item_set"),
            models.CheckConstraint(
                condition=~Q(original_name=""), name="assessments_evidence_original_name_set"
            ),
            models.CheckConstraint(
                condition=Q(content_type__in=evidence.CONTENT_TYPES),
                name="assessments_evidence_content_type_known",
            ),
            models.CheckConstraint(condition=Q(size__gt=0), name="assessments_evidence_size_gt_0"),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="assessments_evidence_sha256_hex",
            ),
            models.UniqueConstraint(fields=["file"], name="assessments_evidence_unique_file"),
            # The same file twice on one item is a double click, not more evidence.
            models.UniqueConstraint(
                fields=["assessment", "item", "sha256"],
                name="assessments_evidence_unique_content_per_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.original_name}"

    @property
    def size_label(self) -> str:
        return evidence.size_label(self.size)


class LevelMonthCount(models.Model):
    """The cities' level history as counters (docs/rules.md "Kept level history"): per city ×
    sub-industry × scope × quality tier of the enterprise, kind, level and month (year × 12 +
    month − 1), `n` is for kind 0 the enterprises whose confirmed level became `level` in that
    month less those whose level stopped being it, for kind 1 the enterprises whose first
    confirmed assessment, at `level`, is dated in that month. Today's trend and baselines on
    the city dashboard read these rows instead of every assessment of the city.

    Derived data, kept exact by database triggers on `assessments_assessment` and
    `cities_enterprise` (`assessments/level_triggers.py`) from the spans
    `services.refresh_current_level` keeps on the assessment rows. As for `cities.RosterCount`:
    plain integer keys, a key whose count fell to zero keeps its row until the next rebuild.
    """

    city_id = models.BigIntegerField("城市")
    sub_industry_id = models.BigIntegerField("细分行业")
    above_scale = models.BooleanField("是否规上")
    quality_tier = models.CharField("优质企业梯度", max_length=20)
    kind = models.SmallIntegerField("类别（0：等级变化，1：首次评测）")
    level = models.SmallIntegerField("等级")
    month = models.IntegerField("月份（年×12+月−1）")
    n = models.IntegerField("企业数")

    KEY = ("city_id", "sub_industry_id", "above_scale", "quality_tier", "kind", "level", "month")

    class Meta:
        verbose_name = "等级历史计数"
        verbose_name_plural = "等级历史计数"
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "city_id",
                    "sub_industry_id",
                    "above_scale",
                    "quality_tier",
                    "kind",
                    "level",
                    "month",
                ],
                name="assessments_levelmonthcount_unique_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city_id}/{self.sub_industry_id} {self.kind} L{self.level} {self.month}"
