"""The pilot registry: batches, provinces, cities, sub-industries, enterprises, targets, and the
import jobs that fill it. Users and roles are in `accounts`.

Policy values (compliance threshold, counted tiers, pilot length, award caps) live on the batch
as data an administrator can correct, never as constants in code.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts.models import User
from sme_pilot import jobs

from . import uscc as uscc_rules
from .choices import (
    MAJOR_CITY_TYPES,
    CityType,
    ImportKind,
    QualityTier,
    Region,
    SizeClass,
    TargetMetric,
)

__all__ = [  # the enumerations are imported from here too
    "MAJOR_CITY_TYPES",
    "CityType",
    "ImportKind",
    "QualityTier",
    "Region",
    "SizeClass",
    "TargetMetric",
]

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager


def default_counted_tiers() -> list[str]:
    return [QualityTier.PROVINCIAL_SRDI.value, QualityTier.LITTLE_GIANT.value]


class Province(models.Model):
    """A provincial-level division (31) or the Xinjiang Production and Construction Corps."""

    code = models.CharField("代码", max_length=2, unique=True)
    name = models.CharField("全称", max_length=20, unique=True)
    short_name = models.CharField("简称", max_length=10, unique=True)
    region = models.CharField("区域", max_length=10, choices=Region.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = "省份"
        verbose_name_plural = "省份"

    def __str__(self) -> str:
        return self.name


class PilotBatch(models.Model):
    """A batch of pilot cities and the compliance configuration that applies to it."""

    year = models.PositiveSmallIntegerField("批次年份", unique=True)
    document_number = models.CharField("文件号", max_length=50)
    threshold = models.DecimalField(
        "二级及以上比例要求",
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.90"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    min_level = models.PositiveSmallIntegerField(
        "达标等级", default=2, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    counted_tiers = models.JSONField(
        "计入分母的梯度",
        default=default_counted_tiers,
        help_text="除规上企业外，计入“应改尽改”分母的优质企业梯度代码列表。",
    )
    count_above_scale = models.BooleanField("规上企业计入分母", default=True)
    pilot_months = models.PositiveSmallIntegerField("试点期（月）", default=24)
    award_cap_major_wan = models.PositiveIntegerField(
        "奖补上限（省会、计划单列市、兵团，万元）", default=15000
    )
    award_cap_other_wan = models.PositiveIntegerField("奖补上限（其他城市，万元）", default=10000)
    # The use of the central award (财建〔2023〕117号, domain §4.4): other uses at most this share
    # of the central money received, SME transformation at least that one by the pilot's end.
    funds_other_max_share = models.DecimalField(
        "中央资金其他用途上限比例",
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.20"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text="平台、链式转型、购买支撑服务等其他用途支出不得超过中央资金到位额的此比例。",
    )
    funds_transformation_min_share = models.DecimalField(
        "中央资金数字化改造下限比例",
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.80"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text="试点期末，用于中小企业数字化改造的支出不得低于中央资金到位额的此比例。",
    )
    acceptance_window_months = models.PositiveSmallIntegerField(
        "完工后申请验收期限（月）",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="项目完工后须在此期限内申请验收（按日历月计算），逾期计入“逾期未申请验收”。",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["year"]
        verbose_name = "试点批次"
        verbose_name_plural = "试点批次"
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__gte=0) & Q(threshold__lte=1),
                name="cities_pilotbatch_threshold_range",
            ),
            models.CheckConstraint(
                condition=Q(min_level__gte=1) & Q(min_level__lte=4),
                name="cities_pilotbatch_min_level_range",
            ),
            models.CheckConstraint(
                condition=Q(acceptance_window_months__gte=1) & Q(acceptance_window_months__lte=24),
                name="cities_pilotbatch_acceptance_window_range",
            ),
            models.CheckConstraint(
                condition=Q(funds_other_max_share__gte=0)
                & Q(funds_other_max_share__lte=1)
                & Q(funds_transformation_min_share__gte=0)
                & Q(funds_transformation_min_share__lte=1),
                name="cities_pilotbatch_funds_shares_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} 年批次"

    def clean(self) -> None:
        valid = set(QualityTier.values)
        if not isinstance(self.counted_tiers, list) or not set(self.counted_tiers) <= valid:
            raise ValidationError(
                {"counted_tiers": f"应为梯度代码列表，可选：{'、'.join(QualityTier.values)}"}
            )


# A blank `PilotCity.report_issuer` reads "<city name>工业和信息化主管部门": every city has such a
# department, whatever its own name (工业和信息化局, 经济和信息化局…).
DEFAULT_CITY_ISSUER_SUFFIX = "工业和信息化主管部门"


class PilotCityQuerySet(models.QuerySet["PilotCity"]):
    def with_enterprise_counts(self) -> PilotCityQuerySet:
        return self.annotate(
            enterprise_count=models.Count("enterprises", distinct=True),
            sub_industry_count=models.Count("sub_industries", distinct=True),
        )


class PilotCity(models.Model):
    code = models.CharField("城市代码", max_length=20, unique=True)
    name = models.CharField("城市名称", max_length=50)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="cities", verbose_name="省份"
    )
    batch = models.ForeignKey(
        PilotBatch, on_delete=models.PROTECT, related_name="cities", verbose_name="批次"
    )
    city_type = models.CharField("城市类型", max_length=20, choices=CityType.choices)
    plan_approved_on = models.DateField("方案批复日期", null=True, blank=True)
    report_issuer = models.CharField(
        "报告发布单位",
        max_length=100,
        blank=True,
        help_text="印在本市试点城市报告和本市企业评测报告封面上的发布单位，"
        "如“呼和浩特市工业和信息化局”；留空时为“城市名称 + 工业和信息化主管部门”。"
        "修改只影响此后申请的报告，已生成的报告不变。",
    )
    history = HistoricalRecords()

    objects = PilotCityQuerySet.as_manager()

    if TYPE_CHECKING:
        sub_industries: RelatedManager[SubIndustry]
        enterprises: RelatedManager[Enterprise]

    class Meta:
        ordering = ["code"]
        verbose_name = "试点城市"
        verbose_name_plural = "试点城市"

    def __str__(self) -> str:
        return self.name

    @property
    def pilot_end_date(self) -> dt.date | None:
        """The approval date plus the batch's pilot period (two years by default)."""
        if self.plan_approved_on is None:
            return None
        return add_months(self.plan_approved_on, self.batch.pilot_months)

    @property
    def issuer(self) -> str:
        """Who issues this city's reports: `report_issuer`, or the city's department in charge
        of industry and information technology when it is blank."""
        return self.report_issuer.strip() or f"{self.name}{DEFAULT_CITY_ISSUER_SUFFIX}"

    @property
    def award_cap_wan(self) -> int:
        if self.city_type in MAJOR_CITY_TYPES:
            return self.batch.award_cap_major_wan
        return self.batch.award_cap_other_wan

    @property
    def award_cap(self) -> Decimal:
        """The award cap in yuan (the batch keeps it in 万元)."""
        return Decimal(self.award_cap_wan) * 10000

    @property
    def region(self) -> str:
        return self.province.region


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the 29th of February falls back to the 28th."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


class SubIndustry(models.Model):
    city = models.ForeignKey(
        PilotCity, on_delete=models.CASCADE, related_name="sub_industries", verbose_name="城市"
    )
    code = models.CharField("细分行业代码", max_length=30)
    name = models.CharField("细分行业名称", max_length=50)
    history = HistoricalRecords()

    class Meta:
        ordering = ["city", "code"]
        verbose_name = "细分行业"
        verbose_name_plural = "细分行业"
        constraints = [
            models.UniqueConstraint(
                fields=["city", "code"], name="cities_subindustry_unique_code_per_city"
            )
        ]

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    """A district or county (区县) of a pilot city: reference data, named by rosters by name."""

    city = models.ForeignKey(
        PilotCity, on_delete=models.CASCADE, related_name="districts", verbose_name="城市"
    )
    code = models.CharField("区县代码", max_length=20)
    name = models.CharField("区县名称", max_length=50)
    history = HistoricalRecords()

    class Meta:
        ordering = ["city", "code"]
        verbose_name = "区县"
        verbose_name_plural = "区县"
        constraints = [
            models.UniqueConstraint(
                fields=["city", "code"], name="cities_district_unique_code_per_city"
            ),
            models.UniqueConstraint(
                fields=["city", "name"], name="cities_district_unique_name_per_city"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EnterpriseQuerySet(models.QuerySet["Enterprise"]):
    def in_city(self, city: PilotCity) -> EnterpriseQuerySet:
        return self.filter(city=city)

    def search(self, text: str) -> EnterpriseQuerySet:
        text = text.strip()
        if not text:
            return self
        return self.filter(Q(name__icontains=text) | Q(uscc__icontains=text.upper()))


def validate_uscc(value: str) -> None:
    try:
        uscc_rules.validate(value)
    except uscc_rules.USCCError as exc:
        raise ValidationError(str(exc), code="invalid_uscc") from exc


class Enterprise(models.Model):
    uscc = models.CharField(
        "统一社会信用代码", max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField("企业名称", max_length=200)
    city = models.ForeignKey(
        PilotCity, on_delete=models.PROTECT, related_name="enterprises", verbose_name="城市"
    )
    sub_industry = models.ForeignKey(
        SubIndustry, on_delete=models.PROTECT, related_name="enterprises", verbose_name="细分行业"
    )
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name="区县",
    )
    above_scale = models.BooleanField("是否规上", default=False)
    quality_tier = models.CharField(
        "优质企业梯度", max_length=20, choices=QualityTier.choices, default=QualityTier.NONE
    )
    size_class = models.CharField("企业规模", max_length=10, choices=SizeClass.choices)
    # Contact fields: the enterprise's own users may edit these, nothing else.
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=30, blank=True)
    contact_email = models.EmailField("联系邮箱", blank=True)
    address = models.CharField("通讯地址", max_length=200, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # The current confirmed level and its date (docs/rules.md "Kept current level"), kept by
    # `assessments.services.refresh_current_level` in the transaction of every write that changes
    # which confirmed assessment counts (None: never confirmed). Not in the history, and never
    # written by `save()` (a stale instance must not overwrite them): only by that function.
    kept_level = models.PositiveSmallIntegerField("当前等级", null=True, blank=True, editable=False)
    kept_level_on = models.DateField("当前等级评定日期", null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["kept_level", "kept_level_on"])

    objects = EnterpriseQuerySet.as_manager()

    KEPT_FIELDS = ("kept_level", "kept_level_on")

    CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email", "address")
    CLASSIFICATION_FIELDS = (
        "name",
        "city",
        "sub_industry",
        "district",
        "above_scale",
        "quality_tier",
        "size_class",
    )

    class Meta:
        ordering = ["uscc"]
        verbose_name = "企业"
        verbose_name_plural = "企业"
        indexes = [
            models.Index(fields=["city", "sub_industry"], name="cities_ent_city_subind_idx"),
            models.Index(fields=["city", "name"], name="cities_ent_city_name_idx"),
            # Today's compliance and dashboards group a city's roster by sub-industry and kept
            # level: an index-only scan of this index.
            models.Index(
                fields=["city", "sub_industry", "kept_level"], name="cities_ent_city_sub_level_idx"
            ),
            # Today's little giants per city with their kept level: an index-only scan of this
            # small partial index (a few per cent of the roster) instead of a scan of the roster.
            models.Index(
                fields=["city"],
                include=["uscc", "kept_level"],
                condition=Q(quality_tier=QualityTier.LITTLE_GIANT),
                name="cities_ent_giant_city_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(uscc__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
                name="cities_enterprise_uscc_alphabet",
            ),
            models.CheckConstraint(
                condition=Q(kept_level__isnull=True) | Q(kept_level__gte=0, kept_level__lte=4),
                name="cities_enterprise_kept_level_range",
            ),
            models.CheckConstraint(
                condition=Q(kept_level__isnull=True, kept_level_on__isnull=True)
                | Q(kept_level__isnull=False, kept_level_on__isnull=False),
                name="cities_enterprise_kept_level_with_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saving an existing enterprise writes every field but the kept level: an instance read
        before a confirmation (a form, the admin, a history revert) must not put back the level it
        was read with. New rows are inserted whole."""
        if (
            kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
            and not args
            and self.pk is not None
            and (not self._state.adding or type(self)._base_manager.filter(pk=self.pk).exists())
        ):
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.KEPT_FIELDS
            ]
        super().save(*args, **kwargs)

    @classmethod
    def field_label(cls, name: str) -> str:
        return str(getattr(cls._meta.get_field(name), "verbose_name", name))

    def clean(self) -> None:
        if self.uscc:
            self.uscc = uscc_rules.normalize(self.uscc)
        if (
            self.sub_industry_id is not None
            and self.city_id is not None
            and self.sub_industry.city_id != self.city_id
        ):
            raise ValidationError({"sub_industry": "细分行业不属于该企业所在城市"})
        if (
            self.district is not None
            and self.city_id is not None
            and self.district.city_id != self.city_id
        ):
            raise ValidationError({"district": "区县不属于该企业所在城市"})


class RosterCount(models.Model):
    """How many enterprises of the roster share one key (docs/rules.md "Kept current level",
    roster counters): city × sub-industry × district × scope × quality tier × kept level.

    Derived data, kept exact by database triggers on `cities_enterprise`
    (`cities/roster_triggers.py`, installed by migration `0011_roster_counts`) in the transaction
    of every write to the roster, whatever wrote it: the ORM, COPY, the admin, a migration, SQL by
    hand. Nothing in Python writes it but `cities.services.roster_counts.rebuild_roster_counts`
    (`verify_aggregates --fix`).

    The key columns are plain integers, not foreign keys: the table is derived, the triggers are
    its only writers, and a foreign key would only add a lookup and a lock on the parent rows to
    every write of the roster. `district_id` 0 is "no district", `kept_level` -1 "never
    confirmed" (a unique key over NULLs would not be one). A key whose count fell to zero keeps its
    row with `n` 0 until the next rebuild; readers sum, so it adds nothing.
    """

    city_id = models.BigIntegerField("城市")
    sub_industry_id = models.BigIntegerField("细分行业")
    district_id = models.BigIntegerField("区县（0：无）")
    above_scale = models.BooleanField("是否规上")
    quality_tier = models.CharField("优质企业梯度", max_length=20, choices=QualityTier.choices)
    kept_level = models.SmallIntegerField("当前等级（-1：未确认）")
    n = models.IntegerField("企业数")

    KEY = (
        "city_id",
        "sub_industry_id",
        "district_id",
        "above_scale",
        "quality_tier",
        "kept_level",
    )
    NO_DISTRICT = 0
    NO_LEVEL = -1

    class Meta:
        verbose_name = "企业名录计数"
        verbose_name_plural = "企业名录计数"
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "city_id",
                    "sub_industry_id",
                    "district_id",
                    "above_scale",
                    "quality_tier",
                    "kept_level",
                ],
                name="cities_rostercount_unique_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city_id}/{self.sub_industry_id}/{self.district_id}: {self.n}"


class CityTarget(models.Model):
    city = models.ForeignKey(
        PilotCity, on_delete=models.CASCADE, related_name="targets", verbose_name="城市"
    )
    sub_industry = models.ForeignKey(
        SubIndustry,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name="细分行业",
    )
    metric = models.CharField("指标", max_length=30, choices=TargetMetric.choices)
    value = models.DecimalField(
        "目标值", max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    due_date = models.DateField("完成日期")
    history = HistoricalRecords()

    class Meta:
        ordering = ["city", "due_date", "metric"]
        verbose_name = "城市目标"
        verbose_name_plural = "城市目标"
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="cities_citytarget_value_gte_0"),
            # Two partial constraints rather than nulls_distinct=False, which SQLite lacks.
            models.UniqueConstraint(
                fields=["city", "metric", "due_date"],
                condition=Q(sub_industry__isnull=True),
                name="cities_citytarget_unique_citywide",
            ),
            models.UniqueConstraint(
                fields=["city", "metric", "due_date", "sub_industry"],
                condition=Q(sub_industry__isnull=False),
                name="cities_citytarget_unique_per_sub_industry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.get_metric_display()} {self.value}"

    def clean(self) -> None:
        if self.sub_industry is not None and self.sub_industry.city_id != self.city_id:
            raise ValidationError({"sub_industry": "细分行业不属于该城市"})


def validate_import_kind(value: str) -> None:
    """`value` must be a kind some app registered with the import framework."""
    from .imports import registry  # the framework imports this module

    registry.validate_kind(value)


class ImportJobState(models.TextChoices):
    UPLOADED = "uploaded", "已上传"
    VALIDATING = "validating", "校验中"
    VALIDATED = "validated", "校验通过，待确认"
    INVALID = "invalid", "校验未通过"
    IMPORTING = "importing", "导入中"
    DONE = "done", "导入完成"
    FAILED = "failed", "失败"


IMPORT_JOB_FINISHED_STATES = frozenset(
    {ImportJobState.VALIDATED, ImportJobState.INVALID, ImportJobState.DONE, ImportJobState.FAILED}
)


class ImportJobQuerySet(models.QuerySet["ImportJob"]):
    def visible_to(self, user: object) -> ImportJobQuerySet:
        """Administrators see every job, a city official every job of their city; nobody else any.

        Colleagues of one city share imports ("everything of that city"), so one can follow up on
        a file another uploaded.
        """
        from accounts.policy import Ability, has, scope_of

        if has(user, Ability.IMPORT_REGISTRY):
            return self
        scope = scope_of(user)
        if has(user, Ability.IMPORT_CITY_DATA) and scope.city_id is not None:
            return self.filter(city_id=scope.city_id)
        return self.none()


class ImportJob(models.Model):
    """One uploaded import file and its way through validation and import.

    The row, not the task queue, is the truth about the job: tasks claim it by its state
    (the job engine, `sme_pilot.jobs`; this kind is `cities.imports.jobs.IMPORT_JOBS`).
    """

    # Any kind an app registered (cities.imports.registry), not only the registry's own.
    kind = models.CharField("导入类型", max_length=20, validators=[validate_import_kind])
    original_filename = models.CharField("原文件名", max_length=255)
    file = models.FileField("导入文件", upload_to="imports/%Y/%m/", max_length=255)
    size_bytes = models.PositiveBigIntegerField("文件大小（字节）", default=0)
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="import_jobs", verbose_name="提交人"
    )
    city = models.ForeignKey(
        PilotCity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="import_jobs",
        verbose_name="所属城市",
    )
    state = models.CharField(
        "状态", max_length=20, choices=ImportJobState.choices, default=ImportJobState.UPLOADED
    )
    run_async = models.BooleanField("后台执行", default=False)
    auto_apply = models.BooleanField("校验通过后自动导入", default=False)
    total_rows = models.PositiveIntegerField("数据行数", default=0)
    created_count = models.PositiveIntegerField("新增", default=0)
    updated_count = models.PositiveIntegerField("更新", default=0)
    unchanged_count = models.PositiveIntegerField("不变", default=0)
    error_count = models.PositiveIntegerField("错误数", default=0)
    error_rows = models.PositiveIntegerField("有误行数", default=0)  # rows with 1+ error
    errors = models.JSONField("错误明细", default=list, blank=True)
    progress_percent = models.PositiveSmallIntegerField("进度（%）", default=0)
    progress_message = models.CharField("进度说明", max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    max_attempts = models.PositiveSmallIntegerField("最多尝试次数", default=jobs.MAX_ATTEMPTS)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    enqueued_at = models.DateTimeField("入队时间", null=True, blank=True)
    claimed_at = models.DateTimeField("开始处理时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="cities_importjob_user_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_percent__gte=0) & Q(progress_percent__lte=100),
                name="cities_importjob_progress_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}导入 #{self.pk}（{self.original_filename}）"

    def get_kind_display(self) -> str:
        """The kind's Chinese name, from the app that registered it."""
        from .imports import registry  # the framework imports this module

        return registry.label(self.kind)

    @property
    def is_finished(self) -> bool:
        return self.state in IMPORT_JOB_FINISHED_STATES
