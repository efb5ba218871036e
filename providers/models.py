"""Digital service providers (数字化服务商, domain §4.5).

A provider is one company, known by its USCC; it may be in the library of several pilot cities.
Its per-city library entries (`LibraryEntry`) carry a status that a city's officials change with
a reason; every change, the first entry included, is a `LibraryStatusChange`. Products name the
operations scenes (§2.2) they cover and a price range in yuan.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from cities.models import PilotCity, validate_uscc

from .choices import LibraryStatus, ProviderCategory

REASON_MAX_LENGTH: Final = 500


class Provider(models.Model):
    uscc = models.CharField(
        "统一社会信用代码", max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField("服务商名称", max_length=200)
    category = models.CharField("类别", max_length=20, choices=ProviderCategory.choices)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=30, blank=True)
    contact_email = models.EmailField("联系邮箱", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["uscc"]
        verbose_name = "服务商"
        verbose_name_plural = "服务商"
        constraints = [
            models.CheckConstraint(
                condition=Q(uscc__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
                name="providers_provider_uscc_alphabet",
            ),
            models.CheckConstraint(
                condition=Q(category__in=ProviderCategory.values),
                name="providers_provider_category_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LibraryEntry(models.Model):
    """A provider in one city's library, with its status there.

    The provider is referenced by its USCC (its natural, immutable key): the `providers` import
    writes entries and the providers they name in one transaction (the constraint is deferred).
    """

    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        to_field="uscc",
        db_column="provider_uscc",
        related_name="entries",
        verbose_name="服务商",
    )
    city = models.ForeignKey(
        PilotCity, on_delete=models.PROTECT, related_name="provider_entries", verbose_name="城市"
    )
    status = models.CharField(
        "状态", max_length=20, choices=LibraryStatus.choices, default=LibraryStatus.ACTIVE
    )
    status_changed_at = models.DateTimeField("状态变更时间")
    created_at = models.DateTimeField("入库时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["city", "provider"]
        verbose_name = "服务商库条目"
        verbose_name_plural = "服务商库条目"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "city"], name="providers_libraryentry_one_per_city"
            ),
            models.CheckConstraint(
                condition=Q(status__in=LibraryStatus.values),
                name="providers_libraryentry_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider.name}（{self.city.name}）"


class LibraryStatusChange(models.Model):
    """One status change of a library entry: who, when, why (the first entry too, from blank)."""

    entry = models.ForeignKey(
        LibraryEntry, on_delete=models.CASCADE, related_name="changes", verbose_name="服务商库条目"
    )
    from_status = models.CharField(
        "原状态", max_length=20, choices=LibraryStatus.choices, blank=True
    )
    to_status = models.CharField("新状态", max_length=20, choices=LibraryStatus.choices)
    reason = models.CharField("原因", max_length=REASON_MAX_LENGTH)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    changed_at = models.DateTimeField("变更时间")

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = "服务商状态变更"
        verbose_name_plural = "服务商状态变更"
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_status=F("to_status")),
                name="providers_librarystatuschange_changes_status",
            ),
            models.CheckConstraint(
                condition=Q(to_status__in=LibraryStatus.values)
                & Q(from_status__in=["", *LibraryStatus.values]),
                name="providers_librarystatuschange_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="providers_librarystatuschange_reason_given"
            ),
        ]

    def __str__(self) -> str:
        before = self.get_from_status_display() if self.from_status else "—"
        return f"{before} → {self.get_to_status_display()}"


PRICE_MAX_DIGITS: Final = 14
MONEY: Final = Decimal("0.01")
PRICE_MAX: Final = Decimal(10 ** (PRICE_MAX_DIGITS - 2)) - MONEY  # 999 999 999 999.99 元
DESCRIPTION_MAX_LENGTH: Final = 2000


class Product(models.Model):
    """A provider's product or service, the operations scenes it covers and its price range."""

    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="products", verbose_name="服务商"
    )
    name = models.CharField("产品名称", max_length=200)
    scenes = models.JSONField("覆盖场景", default=list, help_text="数字化经营场景代码列表，如 S01")
    price_min = models.DecimalField(
        "最低价格（元）",
        max_digits=PRICE_MAX_DIGITS,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    price_max = models.DecimalField(
        "最高价格（元）",
        max_digits=PRICE_MAX_DIGITS,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    description = models.TextField("产品简介", max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["provider", "name", "id"]
        verbose_name = "服务商产品"
        verbose_name_plural = "服务商产品"
        constraints = [
            models.CheckConstraint(
                condition=Q(price_min__gte=0) & Q(price_max__gte=F("price_min")),
                name="providers_product_price_range",
            ),
            models.UniqueConstraint(
                fields=["provider", "name"], name="providers_product_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.price_min is not None
            and self.price_max is not None
            and self.price_min > self.price_max
        ):
            raise ValidationError({"price_max": "最高价格不能低于最低价格"})
        if not isinstance(self.scenes, list) or not all(isinstance(c, str) for c in self.scenes):
            raise ValidationError({"scenes": "覆盖场景应为场景代码列表"})
