"""The funds ledger of a pilot city (资金台账, domain §4.4) and its implementation plan.

A `LedgerEntry` is booked once and never changed: a correction is a reversing entry
(`reverses`), which negates the entry it names; an entry is reversed at most once, and a
reversal is never reversed. The amount is always positive; the sign comes from `reverses`.
Receipts have no category, expenses have one. Paid subsidies are not entries: they are read from
the projects (`Project.subsidy_paid_on`, `subsidy_central`, `subsidy_local`) as transformation
expenses of each source (`funds.selectors`).

The services (`funds.services`) check the award cap and the other-uses limit under a lock on the
city's row; the database guards the rest (positive amounts, the category rule, one reference per
city, one reversal per entry).
"""

from __future__ import annotations

from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from cities.models import PilotCity

from .choices import Category, EntryKind, PlanLine, Source

MONEY_DIGITS: Final = 14  # yuan, up to 999,999,999,999.99
REFERENCE_MAX_LENGTH: Final = 50
NOTE_MAX_LENGTH: Final = 500
BOOKED: Final = "已入账的分录不能修改或删除；如有错误，请录入冲正分录"

_EXPENSE_CATEGORIES: Final = [c for c in Category.values if c]


class LedgerEntryQuerySet(models.QuerySet["LedgerEntry"]):
    def as_of(self, day: Any) -> LedgerEntryQuerySet:
        return self.filter(entry_on__lte=day)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValidationError(BOOKED)


class LedgerEntry(models.Model):
    city = models.ForeignKey(
        PilotCity, on_delete=models.PROTECT, related_name="ledger_entries", verbose_name="城市"
    )
    entry_on = models.DateField("日期")
    kind = models.CharField("收支", max_length=10, choices=EntryKind.choices)
    source = models.CharField("资金来源", max_length=10, choices=Source.choices)
    category = models.CharField(
        "支出类别", max_length=20, choices=Category.choices, blank=True, default=""
    )
    amount = models.DecimalField(
        "金额（元）", max_digits=MONEY_DIGITS, decimal_places=2, validators=[MinValueValidator(0)]
    )
    reference = models.CharField("凭证号", max_length=REFERENCE_MAX_LENGTH)
    note = models.CharField("摘要", max_length=NOTE_MAX_LENGTH, blank=True)
    reverses = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals",
        verbose_name="冲正的分录",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="录入人",
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    # Only ever one row per entry (its booking): the import framework writes every kind's
    # audit trail this way.
    history = HistoricalRecords()

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["city", "-entry_on", "-id"]
        verbose_name = "资金台账分录"
        verbose_name_plural = "资金台账"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="funds_ledgerentry_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(kind=EntryKind.RECEIPT, category="")
                | Q(kind=EntryKind.EXPENSE, category__in=_EXPENSE_CATEGORIES),
                name="funds_ledgerentry_category_iff_expense",
            ),
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="funds_ledgerentry_source_valid"
            ),
            models.UniqueConstraint(
                fields=["city", "reference"], name="funds_ledgerentry_city_reference_unique"
            ),
            # An entry is reversed at most once (NULLs, the entries that reverse nothing, are
            # distinct).
            models.UniqueConstraint(fields=["reverses"], name="funds_ledgerentry_reversed_once"),
        ]
        indexes = [models.Index(fields=["city", "entry_on"], name="funds_ledger_city_day_idx")]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_kind_display()} {self.amount}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValidationError(BOOKED)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValidationError(BOOKED)

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class FundsPlan(models.Model):
    """The planned amount of one source on one line of the city's implementation plan
    (实施方案 资金使用方向): the receipts planned, or the spending planned per category. A plan
    may be changed; the history keeps every version with who and when."""

    city = models.ForeignKey(
        PilotCity, on_delete=models.PROTECT, related_name="funds_plan", verbose_name="城市"
    )
    source = models.CharField("资金来源", max_length=10, choices=Source.choices)
    line = models.CharField("项目", max_length=20, choices=PlanLine.choices)
    amount = models.DecimalField(
        "计划金额（元）",
        max_digits=MONEY_DIGITS,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="修改人",
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["city", "source", "line"]
        verbose_name = "资金使用计划"
        verbose_name_plural = "资金使用计划"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="funds_fundsplan_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(source__in=Source.values, line__in=PlanLine.values),
                name="funds_fundsplan_source_line_valid",
            ),
            models.UniqueConstraint(
                fields=["city", "source", "line"], name="funds_fundsplan_city_source_line_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.get_source_display()} {self.get_line_display()}"
