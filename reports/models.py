"""Report jobs: one row per requested PDF, the truth about it whatever the task queue says.

A job freezes the data it reports on (`snapshot`, hashed into `snapshot_hash`) when it is
requested; a worker renders that snapshot later. Identical requests on identical data share a job.
The job engine (`sme_pilot.jobs`) runs it; this kind is `reports.services.REPORT_JOBS`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from sme_pilot import jobs

from .choices import DossierArchiveState, ReportJobState, ReportKind

__all__ = [
    "ACTIVE_STATES",
    "FINISHED_STATES",
    "DossierArchive",
    "DossierArchiveState",
    "ReportDownload",
    "ReportJob",
    "ReportJobState",
    "ReportKind",
    "ReportSettings",
]


DEFAULT_NATIONAL_ISSUER = "工业和信息化部中小企业局"

ACTIVE_STATES = (ReportJobState.QUEUED, ReportJobState.RENDERING)
FINISHED_STATES = (ReportJobState.DONE, ReportJobState.FAILED)


class ReportJob(models.Model):
    kind = models.CharField("报告类型", max_length=20, choices=ReportKind.choices)
    # {"city_code": …} / {"assessment_id": …} / {} plus "as_of" when given: what was asked for.
    params = models.JSONField("参数", default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="report_jobs",
        verbose_name="首次申请人",
    )
    # Everyone who asked for this job (identical requests share one job): "我的报告".
    requesters = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="requested_reports", verbose_name="申请人"
    )
    # The subject, for scoping by the same selectors as every other page (null for national).
    city = models.ForeignKey(
        "cities.PilotCity",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="report_jobs",
        verbose_name="城市",
    )
    assessment = models.ForeignKey(
        "assessments.Assessment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="report_jobs",
        verbose_name="评测",
    )
    # The subject of a 一企一档 dossier (kind "dossier").
    enterprise = models.ForeignKey(
        "cities.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="report_jobs",
        verbose_name="企业",
    )
    state = models.CharField(
        "状态", max_length=20, choices=ReportJobState.choices, default=ReportJobState.QUEUED
    )
    progress_percent = models.PositiveSmallIntegerField("进度（%）", default=0)
    progress_message = models.CharField("进度说明", max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    max_attempts = models.PositiveSmallIntegerField("最多尝试次数", default=jobs.MAX_ATTEMPTS)
    snapshot = models.JSONField("数据快照", default=dict, blank=True)
    snapshot_hash = models.CharField("快照摘要", max_length=64, db_index=True)
    file = models.FileField("报告文件", upload_to="reports/", max_length=255, blank=True)
    error_message = models.CharField("失败原因", max_length=500, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    enqueued_at = models.DateTimeField("入队时间", null=True, blank=True)
    claimed_at = models.DateTimeField("开始生成时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "报告任务"
        verbose_name_plural = "报告任务"
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_percent__gte=0) & Q(progress_percent__lte=100),
                name="reports_reportjob_progress_range",
            ),
            # The dedupe guard for bursts: one unfinished job per report of the same data.
            models.UniqueConstraint(
                fields=["kind", "params", "snapshot_hash"],
                condition=Q(state__in=["queued", "rendering"]),
                name="reports_reportjob_one_active_per_snapshot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED_STATES


class ReportDownload(models.Model):
    job = models.ForeignKey(
        ReportJob, on_delete=models.CASCADE, related_name="downloads", verbose_name="报告任务"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="report_downloads",
        verbose_name="下载人",
    )
    at = models.DateTimeField("下载时间", auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "报告下载记录"
        verbose_name_plural = "报告下载记录"

    def __str__(self) -> str:
        return f"{self.user} 下载 {self.job}"


class ReportSettings(models.Model):
    """The reports' own settings, one row (id 1, made by the migration), edited in the admin.

    A city's issuer is `cities.PilotCity.report_issuer`; this row holds what has no city: who
    issues the national report.
    """

    national_issuer = models.CharField(
        "全国报告发布单位",
        max_length=100,
        default=DEFAULT_NATIONAL_ISSUER,
        help_text="印在全国试点汇总报告封面上的发布单位。修改只影响此后申请的报告，"
        "已生成的报告不变。",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "报告设置"
        verbose_name_plural = "报告设置"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="reports_reportsettings_one_row"),
        ]

    def __str__(self) -> str:
        return "报告设置"


class DossierArchive(models.Model):
    """One ZIP of 一企一档 dossiers: the enterprises of a city's projects under a filter.

    The enterprises are frozen at the request (`enterprise_ids`, in the archive's order); each
    dossier is built and rendered when the job runs. Run by the job engine as
    `reports.dossier_archive.DOSSIER_ARCHIVES`.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="dossier_archives",
        verbose_name="申请人",
    )
    city = models.ForeignKey(
        "cities.PilotCity",
        on_delete=models.PROTECT,
        related_name="dossier_archives",
        verbose_name="城市",
    )
    # The district the archive is limited to (a filter, or a district official's scope).
    district = models.ForeignKey(
        "cities.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dossier_archives",
        verbose_name="区县",
    )
    # The project list's filters as query parameters (projects.selectors.ProjectFilters).
    params = models.JSONField("筛选条件", default=dict, blank=True)
    enterprise_ids = models.JSONField("企业", default=list, blank=True)
    enterprise_count = models.PositiveIntegerField("企业数")
    state = models.CharField(
        "状态",
        max_length=20,
        choices=DossierArchiveState.choices,
        default=DossierArchiveState.QUEUED,
    )
    progress_percent = models.PositiveSmallIntegerField("进度（%）", default=0)
    progress_message = models.CharField("进度说明", max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    max_attempts = models.PositiveSmallIntegerField("最多尝试次数", default=jobs.MAX_ATTEMPTS)
    file = models.FileField("压缩包", upload_to="dossiers/", max_length=255, blank=True)
    size = models.PositiveBigIntegerField("大小（字节）", default=0)
    error_message = models.CharField("失败原因", max_length=500, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    enqueued_at = models.DateTimeField("入队时间", null=True, blank=True)
    claimed_at = models.DateTimeField("开始打包时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "一企一档批量下载"
        verbose_name_plural = "一企一档批量下载"
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_percent__gte=0) & Q(progress_percent__lte=100),
                name="reports_dossierarchive_progress_range",
            ),
            models.CheckConstraint(
                condition=Q(state__in=DossierArchiveState.values),
                name="reports_dossierarchive_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"一企一档压缩包 #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.state in (DossierArchiveState.DONE, DossierArchiveState.FAILED)
