"""The funds app's enumerations (domain §4.4); the codes are those of the pure `funds.rules`."""

from __future__ import annotations

from django.db import models

from . import rules


class EntryKind(models.TextChoices):
    RECEIPT = rules.Kind.RECEIPT.value, rules.KIND_LABELS[rules.Kind.RECEIPT]
    EXPENSE = rules.Kind.EXPENSE.value, rules.KIND_LABELS[rules.Kind.EXPENSE]


class Source(models.TextChoices):
    CENTRAL = rules.Source.CENTRAL.value, rules.SOURCE_LABELS[rules.Source.CENTRAL]
    LOCAL = rules.Source.LOCAL.value, rules.SOURCE_LABELS[rules.Source.LOCAL]


class Category(models.TextChoices):
    """What an expense is spent on; a receipt has none (the empty code)."""

    NONE = "", "—"
    TRANSFORMATION = (
        rules.Category.TRANSFORMATION.value,
        rules.CATEGORY_LABELS[rules.Category.TRANSFORMATION],
    )
    PLATFORM = rules.Category.PLATFORM.value, rules.CATEGORY_LABELS[rules.Category.PLATFORM]
    CHAIN = rules.Category.CHAIN.value, rules.CATEGORY_LABELS[rules.Category.CHAIN]
    PROCURED_SERVICES = (
        rules.Category.PROCURED_SERVICES.value,
        rules.CATEGORY_LABELS[rules.Category.PROCURED_SERVICES],
    )


class PlanLine(models.TextChoices):
    """A line of the implementation plan's 资金使用方向: the receipts planned, or an expense
    category."""

    RECEIPT = "receipt", "资金到位"
    TRANSFORMATION = Category.TRANSFORMATION.value, Category.TRANSFORMATION.label
    PLATFORM = Category.PLATFORM.value, Category.PLATFORM.label
    CHAIN = Category.CHAIN.value, Category.CHAIN.label
    PROCURED_SERVICES = Category.PROCURED_SERVICES.value, Category.PROCURED_SERVICES.label
