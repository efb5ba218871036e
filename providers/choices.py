"""The provider library's enumerations (domain §4.5)."""

from __future__ import annotations

from django.db import models


class ProviderCategory(models.TextChoices):
    CHAIN_LEADER = "chain_leader", "链主企业"
    INTEGRATOR = "integrator", "综合集成服务商"
    PRODUCT = "product", "“小快轻准”产品服务商"
