"""The performance scorecard (绩效评价, issue 15 item 4) as versioned data, and its snapshots.

A `Scorecard` is one version of a batch's method: its indicators (`ScorecardIndicator`, keys of
`scorecard_rules.INDICATORS`) with weights summing to 1, and its bands. A version a saved
`CityScore` used is never edited (the admin shows it read-only, `clean` refuses): a change of
method is a new version, so every saved score keeps the scorecard it was computed with.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from cities.models import PilotBatch, PilotCity

from . import scorecard_rules

SCORECARD_IN_USE_MESSAGE = "该版本评分卡已用于保存的城市得分，不能修改；请新建一个版本"


def default_bands() -> list[dict[str, str]]:
    return scorecard_rules.bands_to_json(scorecard_rules.DEFAULT_BANDS)


class Scorecard(models.Model):
    batch = models.ForeignKey(
        PilotBatch, on_delete=models.PROTECT, related_name="scorecards", verbose_name="试点批次"
    )
    version = models.PositiveSmallIntegerField("版本号", validators=[MinValueValidator(1)])
    label = models.CharField("名称", max_length=100)
    valid_from = models.DateField(
        "适用评价日起", help_text="评价日不早于此日期时默认采用（取最近的一个版本）"
    )
    bands = models.JSONField(
        "等级划分",
        default=default_bands,
        help_text=(
            '从高到低，如 [{"label": "优秀", "min": "90"}, …, {"label": "不合格", "min": "0"}]'
        ),
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

    class Meta:
        ordering = ["batch__year", "-valid_from", "-version"]
        verbose_name = "绩效评分卡"
        verbose_name_plural = "绩效评分卡"
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "version"],
                name="oversight_scorecard_batch_version_uniq",
                violation_error_message="该批次已有此版本号的评分卡",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="oversight_scorecard_version_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch} 评分卡 v{self.version} {self.label}"

    @property
    def in_use(self) -> bool:
        return self.pk is not None and CityScore.objects.filter(scorecard_id=self.pk).exists()

    def band_terms(self) -> tuple[scorecard_rules.Band, ...]:
        return scorecard_rules.bands_from_json(self.bands)

    def terms(self) -> list[scorecard_rules.Term]:
        return [i.term() for i in self.indicators.order_by("id")]

    def clean(self) -> None:
        super().clean()
        if self.in_use:
            raise ValidationError(SCORECARD_IN_USE_MESSAGE)
        try:
            scorecard_rules.bands_from_json(self.bands)
        except ValueError as exc:
            raise ValidationError({"bands": str(exc)}) from exc


class ScorecardIndicator(models.Model):
    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, related_name="indicators", verbose_name="评分卡"
    )
    key = models.CharField(
        "评价指标",
        max_length=30,
        choices=scorecard_rules.INDICATOR_CHOICES,
        error_messages={"invalid_choice": "未知的评价指标“%(value)s”"},
    )
    weight = models.DecimalField(
        "权重",
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text="0 到 1；各指标权重之和应为 1",
    )
    cap = models.DecimalField(
        "上限",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="仅“等级提升”使用：平均提升达到此级数即得满分（留空为 1 级）",
    )

    class Meta:
        ordering = ["scorecard", "id"]
        verbose_name = "评价指标"
        verbose_name_plural = "评价指标"
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "key"],
                name="oversight_scorecardindicator_scorecard_key_uniq",
                violation_error_message="同一评分卡中指标不能重复",
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=1),
                name="oversight_scorecardindicator_weight_range",
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gt=0),
                name="oversight_scorecardindicator_cap_gt_0",
            ),
            models.CheckConstraint(
                condition=Q(key__in=list(scorecard_rules.INDICATORS)),
                name="oversight_scorecardindicator_key_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_key_display()} × {self.weight}"

    def term(self) -> scorecard_rules.Term:
        return scorecard_rules.Term(key=self.key, weight=self.weight, cap=self.cap)


class CityScore(models.Model):
    """A saved score of one city as of a day under one scorecard version (`manage.py scorecard
    --save`): score, rank, band and breakdown stay as computed, whatever changes later."""

    city = models.ForeignKey(
        PilotCity, on_delete=models.PROTECT, related_name="+", verbose_name="试点城市"
    )
    as_of = models.DateField("评价日")
    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.PROTECT, related_name="scores", verbose_name="评分卡"
    )
    score = models.DecimalField("得分", max_digits=4, decimal_places=1)
    rank = models.PositiveSmallIntegerField("排名")
    band = models.CharField("等级", max_length=20)
    breakdown = models.JSONField("分项得分")
    created_at = models.DateTimeField("保存时间", auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "rank", "city__code"]
        verbose_name = "城市绩效得分"
        verbose_name_plural = "城市绩效得分"
        constraints = [
            models.UniqueConstraint(
                fields=["city", "as_of", "scorecard"],
                name="oversight_cityscore_city_as_of_scorecard_uniq",
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100),
                name="oversight_cityscore_score_range",
            ),
            models.CheckConstraint(condition=Q(rank__gte=1), name="oversight_cityscore_rank_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.as_of} {self.score}"
