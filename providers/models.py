"""Digital service providers (数字化服务商, domain §4.5).

A provider is one company, known by its USCC; it may be in the library of several pilot cities.
The per-city library entries, their status changes and the products are added on this model.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from cities.models import validate_uscc

from .choices import ProviderCategory


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
