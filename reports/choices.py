"""The reports' enumerations: kinds of report and the states of a report job."""

from __future__ import annotations

from django.db import models


class ReportKind(models.TextChoices):
    CITY = "city", "城市试点绩效报告"
    NATIONAL = "national", "全国试点汇总报告"
    ASSESSMENT = "assessment", "企业数字化水平评测报告"
    DOSSIER = "dossier", "企业一企一档"


class ReportJobState(models.TextChoices):
    QUEUED = "queued", "排队中"
    RENDERING = "rendering", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class DossierArchiveState(models.TextChoices):
    QUEUED = "queued", "排队中"
    PACKING = "packing", "打包中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
