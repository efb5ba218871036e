"""Transformation projects (domain §4.2, §4.3): the pool, the pipeline, documents, subsidies.

The pure rules (stages, dates, the entitlement, the stage table) are `projects.rules`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from cities.models import PilotCity

from . import rules

MONEY_DIGITS = 14  # yuan, up to 999,999,999,999.99
RATE_HELP = "0 到 1，最多四位小数；如 0.4 表示按符合条件投资的 40% 补助"


class SubsidyRule(models.Model):
    """One version of a city's subsidy policy (§4.3), for projects completed from `valid_from` to
    `valid_to` inclusive (empty: open-ended). A city's ranges never overlap: the service checks it
    under a lock on the city row (`projects.services.subsidy_rules`)."""

    city = models.ForeignKey(
        PilotCity,
        on_delete=models.CASCADE,
        related_name="subsidy_rules",
        verbose_name="试点城市",
    )
    valid_from = models.DateField("适用完工日期起")
    valid_to = models.DateField(
        "适用完工日期止", null=True, blank=True, help_text="含当日；留空表示长期有效"
    )
    rate = models.DecimalField(
        "补助比例",
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=RATE_HELP,
    )
    cap_l2 = models.DecimalField(
        "二级封顶金额（元）",
        max_digits=MONEY_DIGITS,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    cap_l3 = models.DecimalField(
        "三级封顶金额（元）",
        max_digits=MONEY_DIGITS,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    cap_l4 = models.DecimalField(
        "四级封顶金额（元）",
        max_digits=MONEY_DIGITS,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    min_level = models.PositiveSmallIntegerField(
        "最低等级",
        default=2,
        validators=[MinValueValidator(2), MaxValueValidator(4)],
        help_text="改造后等级低于此等级的项目不予奖补（2 到 4）",
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
    history = HistoricalRecords()

    class Meta:
        ordering = ["city", "valid_from"]
        verbose_name = "奖补规则"
        verbose_name_plural = "奖补规则"
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=0, rate__lte=1), name="projects_subsidyrule_rate_range"
            ),
            models.CheckConstraint(
                condition=Q(cap_l2__gte=0, cap_l3__gte=0, cap_l4__gte=0),
                name="projects_subsidyrule_caps_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="projects_subsidyrule_valid_to_after_from",
            ),
            models.CheckConstraint(
                condition=Q(min_level__gte=2, min_level__lte=4),
                name="projects_subsidyrule_min_level_range",
            ),
            models.UniqueConstraint(
                fields=["city", "valid_from"], name="projects_subsidyrule_city_valid_from_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.period}"

    @property
    def period(self) -> str:
        """ "2024-01-01 至 2024-12-31", or "2025-01-01 起" when open-ended."""
        if self.valid_to is None:
            return f"{self.valid_from.isoformat()} 起"
        return f"{self.valid_from.isoformat()} 至 {self.valid_to.isoformat()}"

    @property
    def rate_percent(self) -> str:
        """0.4000 → "40%"."""
        return f"{(self.rate * 100).normalize():f}%"

    def clean(self) -> None:
        super().clean()
        if self.valid_to is not None and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "适用完工日期止不能早于适用完工日期起"})

    def terms(self) -> rules.SubsidyTerms:
        return rules.SubsidyTerms(
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            rate=self.rate,
            caps={2: self.cap_l2, 3: self.cap_l3, 4: self.cap_l4},
            min_level=self.min_level,
        )

    def describe(self) -> str:
        return rules.describe(self.terms())
