"""The assessment's enumerations: purpose, method, state, source, and the level names."""

from __future__ import annotations

from django.db import models


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
# Drafts and assessments returned for correction may be edited; nothing else.
