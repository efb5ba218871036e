"""The provider library's enumerations (domain §4.5)."""

from __future__ import annotations

from django.db import models


class ProviderCategory(models.TextChoices):
    CHAIN_LEADER = "chain_leader", "链主企业"
    INTEGRATOR = "integrator", "综合集成服务商"
    PRODUCT = "product", "“小快轻准”产品服务商"


class LibraryStatus(models.TextChoices):
    """A provider's standing in one city's library (服务商库)."""

    ACTIVE = "active", "在库"
    WARNED = "warned", "警示"
    SUSPENDED = "suspended", "暂停"
    REMOVED = "removed", "出库"
