"""Transformation projects (domain §4.2, §4.3): the pool, the pipeline, documents, subsidies.

The pure rules (stages, dates, the entitlement, the stage table) are `projects.rules`.

One project per enterprise per pilot. A project reaches a stage on the date recorded for it
(`<stage>_on`); the outcome dates (`rejected_on`, `acceptance_failed_on`, `withdrawn_on`) sit
beside them. The order rules that need more than two columns live in the pure `projects.rules`
(checked by the services and the import); the pairs the database can say cheaply are check
constraints here as well.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from cities.models import PilotCity
from sme_pilot import files
from sme_pilot.storage import get_private_storage

from . import provider_rules, rules
from .choices import DocType, FilingState
from .rules import CATEGORY_LABELS, STAGES, Category, date_field

MONEY_DIGITS = 14  # yuan, up to 999,999,999,999.99
SATISFACTION_MIN, SATISFACTION_MAX = 1, 5
EVENT_COMMENT_MAX_LENGTH = 2000


def _money(label: str) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=MONEY_DIGITS,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )


def _ordered(earlier: str, later: str) -> Q:
    """`later` is empty, or both are set and `later` is not before `earlier`."""
    return Q(**{f"{later}__isnull": True}) | Q(
        **{f"{earlier}__isnull": False, f"{later}__gte": models.F(earlier)}
    )


_STAGE_FIELDS = [date_field(stage) for stage in STAGES]


RATE_HELP = "0 到 1，最多四位小数；如 0.4 表示按符合条件投资的 40% 补助"


class SubsidyRule(models.Model):
    """One version of a city's subsidy policy (§4.3), for projects completed from `valid_from` to
    `valid_to` inclusive (empty: open-ended). A city's ranges never overlap: the service checks it
    under a lock on the city row (`projects.services.subsidy_rules`)."""

    city = models.ForeignKey(
        PilotCity,
        on_delete=models.CASCADE,
        related_name="subsidy_rules",
        verbose_name="试点城市",
    )
    valid_from = models.DateField("适用完工日期起")
    valid_to = models.DateField(
        "适用完工日期止", null=True, blank=True, help_text="含当日；留空表示长期有效"
    )
    rate = models.DecimalField(
        "补助比例",
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=RATE_HELP,
    )
    cap_l2 = models.DecimalField(
        "二级封顶金额（元）",
        max_digits=MONEY_DIGITS,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    cap_l3 = models.DecimalField(
        "三级封顶金额（元）",
        max_digits=MONEY_DIGITS,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    cap_l4 = models.DecimalField(
        "四级封顶金额（元）",
        max_digits=MONEY_DIGITS,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    min_level = models.PositiveSmallIntegerField(
        "最低等级",
        default=2,
        validators=[MinValueValidator(2), MaxValueValidator(4)],
        help_text="改造后等级低于此等级的项目不予奖补（2 到 4）",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="创建人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["city", "valid_from"]
        verbose_name = "奖补规则"
        verbose_name_plural = "奖补规则"
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=0, rate__lte=1), name="projects_subsidyrule_rate_range"
            ),
            models.CheckConstraint(
                condition=Q(cap_l2__gte=0, cap_l3__gte=0, cap_l4__gte=0),
                name="projects_subsidyrule_caps_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="projects_subsidyrule_valid_to_after_from",
            ),
            models.CheckConstraint(
                condition=Q(min_level__gte=2, min_level__lte=4),
                name="projects_subsidyrule_min_level_range",
            ),
            models.UniqueConstraint(
                fields=["city", "valid_from"], name="projects_subsidyrule_city_valid_from_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.period}"

    @property
    def period(self) -> str:
        """ "2024-01-01 至 2024-12-31", or "2025-01-01 起" when open-ended."""
        if self.valid_to is None:
            return f"{self.valid_from.isoformat()} 起"
        return f"{self.valid_from.isoformat()} 至 {self.valid_to.isoformat()}"

    @property
    def rate_percent(self) -> str:
        """0.4000 → "40%"."""
        return f"{(self.rate * 100).normalize():f}%"

    def clean(self) -> None:
        super().clean()
        if self.valid_to is not None and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "适用完工日期止不能早于适用完工日期起"})

    def terms(self) -> rules.SubsidyTerms:
        return rules.SubsidyTerms(
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            rate=self.rate,
            caps={2: self.cap_l2, 3: self.cap_l3, 4: self.cap_l4},
            min_level=self.min_level,
        )

    def describe(self) -> str:
        return rules.describe(self.terms())


class Project(models.Model):
    enterprise = models.ForeignKey(
        "cities.Enterprise",
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name="企业",
        # The unique index `projects_project_one_per_enterprise` is on this column alone: it
        # serves every look-up and the PROTECT check (docs/rules.md, issue 13 import indexes).
        db_index=False,
    )
    provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name="服务商",
    )
    contract_no = models.CharField("合同编号", max_length=50, blank=True)
    contract_amount = _money("合同金额（元）")
    planned_completion_on = models.DateField("计划完工日期", null=True, blank=True)

    applied_on = models.DateField("申报日期", null=True, blank=True)
    admitted_on = models.DateField("入库日期", null=True, blank=True)
    diagnosed_on = models.DateField("诊断日期", null=True, blank=True)
    provider_selected_on = models.DateField("选定服务商日期", null=True, blank=True)
    contract_filed_on = models.DateField("合同备案日期", null=True, blank=True)
    completed_on = models.DateField("完工日期", null=True, blank=True)
    acceptance_applied_on = models.DateField("申请验收日期", null=True, blank=True)
    accepted_on = models.DateField("验收通过日期", null=True, blank=True)
    subsidy_approved_on = models.DateField("奖补核定日期", null=True, blank=True)
    subsidy_paid_on = models.DateField("奖补拨付日期", null=True, blank=True)
    rejected_on = models.DateField("未入库日期", null=True, blank=True)
    acceptance_failed_on = models.DateField("验收未通过日期", null=True, blank=True)
    withdrawn_on = models.DateField("退出日期", null=True, blank=True)

    satisfaction = models.PositiveSmallIntegerField(
        "满意度",
        null=True,
        blank=True,
        validators=[MinValueValidator(SATISFACTION_MIN), MaxValueValidator(SATISFACTION_MAX)],
    )
    # --- the pipeline's working state (projects.services.pipeline; an import leaves the
    # defaults, and the service reads the dates first: see `pipeline.state_of`) ---
    declared_at = models.DateTimeField("资格承诺时间", null=True, blank=True)
    application_reviewed_at = models.DateTimeField("区县初审时间", null=True, blank=True)
    diagnosis_provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="diagnosed_projects",
        verbose_name="诊断服务商",
    )
    diagnosis_scenes = models.JSONField("诊断改造场景", default=list, blank=True)
    baseline_assessment = models.ForeignKey(
        "assessments.Assessment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="改造前评测",
    )
    contract_signed_on = models.DateField("合同签订日期", null=True, blank=True)
    filing_state = models.CharField(
        "合同备案状态", max_length=10, choices=FilingState.choices, blank=True, default=""
    )
    acceptance_attempts = models.PositiveSmallIntegerField("验收申请次数", default=0)
    failed_attempts = models.PositiveSmallIntegerField("验收未通过次数", default=0)
    acceptance_reviewed_at = models.DateTimeField("验收区县初审时间", null=True, blank=True)
    acceptance_scheduled_on = models.DateField("现场验收日期", null=True, blank=True)
    acceptance_checklist = models.JSONField("验收核查", default=dict, blank=True)
    rectification = models.TextField("整改事项", blank=True, max_length=EVENT_COMMENT_MAX_LENGTH)
    after_level = models.PositiveSmallIntegerField("改造后等级", null=True, blank=True)
    # The levels the scorecard's uplift reads (docs/rules.md "Kept project levels"), kept by the
    # database (`projects/stage_triggers.py`): the enterprise's earliest confirmed on-site
    # baseline level, and once accepted the latest confirmed on-site post level dated from
    # completion to acceptance. Never written from Python: a save() that carries a stale value
    # has it recomputed by the trigger.
    kept_baseline_level = models.SmallIntegerField(
        "改造前等级（现场评定）", null=True, blank=True, editable=False
    )
    kept_after_level = models.SmallIntegerField(
        "改造后等级（现场评定）", null=True, blank=True, editable=False
    )
    subsidy_reference = models.CharField("拨付凭证号", max_length=50, blank=True)

    subsidy_central = _money("中央奖补（元）")
    subsidy_local = _money("地方奖补（元）")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # The history is read one project at a time (the admin's history page filters by `id`):
    # the per-FK indexes simple-history adds by default serve no query (no constraint or
    # cascade on a history row's foreign keys either) and cost every import four index entries
    # per row (docs/rules.md, issue 13 import indexes). `id`, `history_date` and
    # `history_user` keep theirs.
    history = HistoricalRecords(
        no_db_index=["enterprise", "provider", "diagnosis_provider", "baseline_assessment"],
        excluded_fields=["kept_baseline_level", "kept_after_level"],  # derived, kept by triggers
    )

    class Meta:
        ordering = ["-applied_on", "-id"]
        verbose_name = "改造项目"
        verbose_name_plural = "改造项目"
        indexes = [
            # Today's overdue lists on the city dashboard, the earliest first, bounded by the
            # kept day counters (oversight.selectors.dashboard.funnel._kept_overdue_rows): only
            # the projects still awaiting completion or acceptance are in them.
            models.Index(
                fields=["planned_completion_on"],
                condition=Q(
                    planned_completion_on__isnull=False,
                    completed_on__isnull=True,
                    withdrawn_on__isnull=True,
                ),
                name="projects_awaiting_completion",
            ),
            models.Index(
                fields=["completed_on"],
                condition=Q(
                    completed_on__isnull=False,
                    acceptance_applied_on__isnull=True,
                    withdrawn_on__isnull=True,
                ),
                name="projects_awaiting_acceptance",
            ),
        ]
        constraints = [
            # One project per enterprise per pilot: an enterprise is in one pilot city.
            models.UniqueConstraint(
                fields=["enterprise"], name="projects_project_one_per_enterprise"
            ),
            models.CheckConstraint(
                condition=Q(contract_amount__isnull=True) | Q(contract_amount__gte=0),
                name="projects_project_contract_amount_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(subsidy_central__isnull=True) | Q(subsidy_central__gte=0),
                name="projects_project_subsidy_central_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(subsidy_local__isnull=True) | Q(subsidy_local__gte=0),
                name="projects_project_subsidy_local_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=SATISFACTION_MIN, satisfaction__lte=SATISFACTION_MAX),
                name="projects_project_satisfaction_range",
            ),
            # Each stage needs the one before it, on or before its own date.
            *(
                models.CheckConstraint(
                    condition=_ordered(earlier, later),
                    name=f"projects_project_{later.removesuffix('_on')}_after_previous",
                )
                for earlier, later in pairwise(_STAGE_FIELDS)
            ),
            models.CheckConstraint(
                condition=_ordered("applied_on", "rejected_on"),
                name="projects_project_rejected_after_applied",
            ),
            models.CheckConstraint(
                condition=Q(rejected_on__isnull=True) | Q(admitted_on__isnull=True),
                name="projects_project_rejected_not_admitted",
            ),
            models.CheckConstraint(
                condition=_ordered("acceptance_applied_on", "acceptance_failed_on"),
                name="projects_project_failed_after_acceptance_applied",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(accepted_on__isnull=True),
                name="projects_project_withdrawn_not_accepted",
            ),
            models.CheckConstraint(
                condition=Q(filing_state__in=FilingState.values),
                name="projects_project_filing_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(failed_attempts__lte=F("acceptance_attempts"))
                | Q(acceptance_attempts=0),
                name="projects_project_failed_not_above_attempts",
            ),
        ]

    def __str__(self) -> str:
        return f"改造项目 {self.pk}"


def _counter(label: str) -> models.IntegerField:
    return models.IntegerField(label, default=0)


class ProjectCount(models.Model):
    """How many projects of one key reached each stage and outcome (docs/rules.md "Kept project
    counters"): city × sub-industry × district of the project's enterprise, one column per
    stage and outcome date (a project counts in every column whose date it has).

    Derived data, kept exact by database triggers on `projects_project` and `cities_enterprise`
    (`projects/stage_triggers.py`, installed by migration `0009_project_counts`) in the
    transaction of every write, whatever wrote it. Nothing in Python writes it but
    `projects.services.project_counts.rebuild_project_counts` (`verify_aggregates --fix`). The
    dashboards read today's funnel from it; `as_of` in the past is counted from the dates.

    As for `cities.RosterCount`: plain integer keys (no foreign keys: derived, the triggers are
    its only writers), `district_id` 0 is "no district", a key whose counts fell to zero keeps
    its row until the next rebuild.
    """

    city_id = models.BigIntegerField("城市")
    sub_industry_id = models.BigIntegerField("细分行业")
    district_id = models.BigIntegerField("区县（0：无）")
    applied = _counter("已申报")
    admitted = _counter("已入库")
    diagnosed = _counter("已诊断")
    provider_selected = _counter("已选定服务商")
    contract_filed = _counter("合同已备案")
    completed = _counter("已完工")
    acceptance_applied = _counter("已申请验收")
    accepted = _counter("验收通过")
    subsidy_approved = _counter("奖补已核定")
    subsidy_paid = _counter("奖补已拨付")
    rejected = _counter("未入库")
    acceptance_failed = _counter("验收未通过")
    withdrawn = _counter("已退出")
    # The subsidies of those projects, in fen (integer cents: exact sums on every database).
    subsidy_approved_fen = models.BigIntegerField("已核定奖补（分）", default=0)
    subsidy_paid_central_fen = models.BigIntegerField("已拨付中央奖补（分）", default=0)
    subsidy_paid_local_fen = models.BigIntegerField("已拨付地方奖补（分）", default=0)
    # The projects waiting in each work queue of the city-scoped roles now (the 待办 badge).
    waiting_review_applications = _counter("待初审入库申请")
    waiting_review_acceptances = _counter("待初审验收申请")
    waiting_admit = _counter("待审核入库")
    waiting_diagnose = _counter("待指定诊断")
    waiting_filings = _counter("待审核合同备案")
    waiting_schedule = _counter("待安排现场验收")
    waiting_record_acceptance = _counter("待确认验收结果")
    waiting_approve_subsidy = _counter("待核定奖补")
    waiting_pay_subsidy = _counter("待拨付奖补")
    # The accepted projects' level uplift (after − baseline, both kept) and satisfaction: the
    # sums and how many projects have each (the national scorecard's two means).
    uplift_sum = models.IntegerField("验收项目等级提升之和", default=0)
    uplifts = _counter("有提升数据的验收项目")
    satisfaction_sum = models.IntegerField("验收项目满意度之和", default=0)
    satisfactions = _counter("有满意度的验收项目")

    KEY = ("city_id", "sub_industry_id", "district_id")
    NO_DISTRICT = 0

    class Meta:
        verbose_name = "改造项目计数"
        verbose_name_plural = "改造项目计数"
        constraints = [
            models.UniqueConstraint(
                fields=["city_id", "sub_industry_id", "district_id"],
                name="projects_projectcount_unique_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city_id}/{self.sub_industry_id}/{self.district_id}: {self.applied}"


class ProjectDayCount(models.Model):
    """The projects of one key by one day-valued property (docs/rules.md "Kept project
    counters"), for what the funnel reads by date rather than by stage:

    - kind 0: projects not completed and not withdrawn, by planned completion date (`value`:
      days since 2000-01-01): today's completion overdue counts are the rows before today;
    - kind 1: projects completed, acceptance not applied for, not withdrawn, by completion date:
      today's acceptance overdue counts are the rows up to the batch's cutoff;
    - kinds 2–10: projects that reached stage `kind - 1` (admitted … subsidy paid), by the days
      it took from the previous stage (`value`), per city only (sub-industry and district 0):
      the funnel's median days per stage;
    - kinds 11–13: per city only, the subsidies paid, by the month of payment (`value`: year ×
      12 + month − 1): the projects paid (11), their central (12) and local (13) subsidy in fen
      (`n` is then an amount): the funds chart's monthly payments.

    Kept by the same triggers and in the same statements as `ProjectCount`
    (`projects/stage_triggers.py`); the same conventions (plain integer keys, district 0 "none",
    rows left at 0 until a rebuild).
    """

    city_id = models.BigIntegerField("城市")
    sub_industry_id = models.BigIntegerField("细分行业（0：不分）")
    district_id = models.BigIntegerField("区县（0：无或不分）")
    kind = models.SmallIntegerField("类别")
    value = models.IntegerField("日期（2000-01-01 起的天数）或天数")
    n = models.BigIntegerField("项目数或金额（分）")

    KEY = ("city_id", "sub_industry_id", "district_id", "kind", "value")

    class Meta:
        verbose_name = "改造项目日期计数"
        verbose_name_plural = "改造项目日期计数"
        constraints = [
            models.UniqueConstraint(
                fields=["city_id", "sub_industry_id", "district_id", "kind", "value"],
                name="projects_projectdaycount_unique_key",
            ),
        ]
        indexes = [
            # The readers ask one city's rows of one kind (the unique key's prefix would read
            # every sub-industry and district of the city first).
            models.Index(
                fields=["city_id", "kind", "value"],
                include=["n", "sub_industry_id", "district_id"],
                name="projects_daycount_city_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city_id}/{self.kind}/{self.value}: {self.n}"


class InvestmentLine(models.Model):
    """The contract's investment in one category (§4.3); eligible categories count for the
    subsidy."""

    # The unique (project, category) index leads with `project`: it serves the look-ups and the
    # cascade, so the FK has no index of its own (docs/rules.md, issue 13 import indexes).
    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name="项目",
        db_index=False,
    )
    category = models.CharField(
        "类别",
        max_length=20,
        choices=[(c.value, CATEGORY_LABELS[c]) for c in Category],
    )
    amount = models.DecimalField(
        "金额（元）", max_digits=MONEY_DIGITS, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["project", "category"]
        verbose_name = "投资明细"
        verbose_name_plural = "投资明细"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "category"], name="projects_investmentline_unique_category"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="projects_investmentline_amount_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(category__in=[c.value for c in Category]),
                name="projects_investmentline_category_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.amount}"


class ProjectEvent(models.Model):
    """The audit of every move: who moved the project, when, to which stage, and why."""

    IMPORT_MOVE = "import"

    # `projects_event_project_at_idx` (project, at) leads with `project`: it serves the look-ups
    # and the cascade, so the FK has no index of its own (docs/rules.md, issue 13 import indexes).
    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name="项目",
        db_index=False,
    )
    move = models.CharField("操作", max_length=40)
    stage = models.CharField("所处阶段", max_length=30, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="project_events",
        verbose_name="操作人",
    )
    at = models.DateTimeField("时间")
    comment = models.CharField("说明", max_length=EVENT_COMMENT_MAX_LENGTH, blank=True)

    class Meta:
        ordering = ["project", "at", "id"]
        verbose_name = "项目操作记录"
        verbose_name_plural = "项目操作记录"
        indexes = [models.Index(fields=["project", "at"], name="projects_event_project_at_idx")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.move} {self.at:%Y-%m-%d %H:%M}"


# The kinds a project document may be (§4.2): PDF, JPG, PNG, XLSX, DOCX, recognised by content.
DOCUMENT_KINDS = (files.PDF, files.JPEG, files.PNG, files.XLSX, files.DOCX)
DOCUMENT_CONTENT_TYPES = tuple(k.content_type for k in DOCUMENT_KINDS)


class ProjectDocument(models.Model):
    """One document of a project's 一企一档, filed under a stage: recognised by its content
    (sme_pilot.files), stored under a random name in the private storage, downloaded only through
    the permission-checked views."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="documents", verbose_name="项目"
    )
    stage = models.CharField(
        "所属阶段", max_length=30, choices=[(s.value, rules.STAGE_LABELS[s]) for s in STAGES]
    )
    doc_type = models.CharField("材料类型", max_length=30, choices=DocType.choices)
    file = models.FileField("文件", storage=get_private_storage, max_length=100)
    original_name = models.CharField("原文件名", max_length=files.ORIGINAL_NAME_MAX_LENGTH)
    content_type = models.CharField(
        "文件类型", max_length=80, choices=[(k.content_type, k.label) for k in DOCUMENT_KINDS]
    )
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="上传人",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        ordering = ["project", "uploaded_at", "id"]
        verbose_name = "项目材料"
        verbose_name_plural = "项目材料"
        indexes = [models.Index(fields=["project", "stage"], name="projects_document_stage_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage__in=[s.value for s in STAGES]),
                name="projects_projectdocument_stage_valid",
            ),
            models.CheckConstraint(
                condition=Q(doc_type__in=DocType.values),
                name="projects_projectdocument_doc_type_valid",
            ),
            models.CheckConstraint(
                condition=~Q(original_name=""), name="projects_projectdocument_original_name_set"
            ),
            models.CheckConstraint(
                condition=Q(content_type__in=DOCUMENT_CONTENT_TYPES),
                name="projects_projectdocument_content_type_known",
            ),
            models.CheckConstraint(
                condition=Q(size__gt=0), name="projects_projectdocument_size_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="projects_projectdocument_sha256_hex",
            ),
            models.UniqueConstraint(fields=["file"], name="projects_projectdocument_unique_file"),
            # The same file twice under one type is a double click, not another document.
            models.UniqueConstraint(
                fields=["project", "doc_type", "sha256"],
                name="projects_projectdocument_unique_content_per_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_doc_type_display()} {self.original_name}"

    @property
    def size_label(self) -> str:
        return files.size_label(self.size)


# --- the provider evaluation (§4.5): its parameters as versioned data, and its snapshots --------

WEIGHT_DIGITS, WEIGHT_PLACES = 5, 4  # 0.0000 .. 1.0000
WEIGHT_FIELDS = ("w_acceptance", "w_uplift", "w_satisfaction", "w_on_time")
BAND_FIELDS = ("band_5", "band_4", "band_3", "band_2")
WEIGHT_SUM_MESSAGE = "四项权重（验收通过率、等级提升、满意度、按期完工率）之和应为 1"
SCORING_IN_USE_MESSAGE = "该版本已用于服务商评价，不能修改；请新建一个版本"


def _weight(label: str, help_text: str) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=WEIGHT_DIGITS,
        decimal_places=WEIGHT_PLACES,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=help_text,
    )


def _band(label: str) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="得分不低于此分数即得该星级（0 到 100）",
    )


class ProviderScoring(models.Model):
    """One version of the provider evaluation's parameters (§4.5): the four weights, the uplift
    cap, the star bands and the minimum number of acceptance outcomes for a rating. A version is
    never edited once an evaluation used it (the admin shows it read-only, `clean` refuses):
    a change of policy is a new version, so every saved evaluation keeps the weights it used."""

    version = models.PositiveSmallIntegerField("版本号", unique=True)
    label = models.CharField("名称", max_length=100)
    valid_from = models.DateField(
        "适用评价日起", help_text="评价日不早于此日期时默认采用（取最近的一个版本）"
    )
    w_acceptance = _weight("验收通过率权重", "如 0.30")
    w_uplift = _weight("等级提升权重", "如 0.30")
    w_satisfaction = _weight("满意度权重", "如 0.25")
    w_on_time = _weight("按期完工率权重", "如 0.15；四项权重之和应为 1")
    uplift_cap = models.DecimalField(
        "等级提升上限",
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="平均等级提升达到此值即得满分（如 2）",
    )
    band_5 = _band("五星分数线")
    band_4 = _band("四星分数线")
    band_3 = _band("三星分数线")
    band_2 = _band("二星分数线")
    min_outcomes = models.PositiveSmallIntegerField(
        "最少验收结果数",
        validators=[MinValueValidator(1)],
        help_text="有验收结果（通过或未通过）的项目少于此数时暂不评级",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="创建人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["-valid_from", "-version"]
        verbose_name = "服务商评价权重"
        verbose_name_plural = "服务商评价权重"
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    w_acceptance__gte=0,
                    w_acceptance__lte=1,
                    w_uplift__gte=0,
                    w_uplift__lte=1,
                    w_satisfaction__gte=0,
                    w_satisfaction__lte=1,
                    w_on_time__gte=0,
                    w_on_time__lte=1,
                ),
                name="projects_providerscoring_weights_range",
            ),
            # Weights have four decimals, so a sum within ±0.00005 of 1 is exactly 1 (and the
            # check holds on SQLite's floating-point decimals too).
            models.CheckConstraint(
                condition=models.lookups.Range(
                    F("w_acceptance") + F("w_uplift") + F("w_satisfaction") + F("w_on_time"),
                    (Decimal("0.99995"), Decimal("1.00005")),
                ),
                name="projects_providerscoring_weights_sum_to_1",
                violation_error_message=WEIGHT_SUM_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(uplift_cap__gt=0), name="projects_providerscoring_uplift_cap_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(band_5__lte=100, band_2__gte=0)
                & Q(band_5__gt=F("band_4"), band_4__gt=F("band_3"), band_3__gt=F("band_2")),
                name="projects_providerscoring_bands_descending",
                violation_error_message="星级分数线应在 0 到 100 之间，且五星 > 四星 > 三星 > 二星",
            ),
            models.CheckConstraint(
                condition=Q(min_outcomes__gte=1), name="projects_providerscoring_min_outcomes_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.label}"

    def terms(self) -> provider_rules.Scoring:
        return provider_rules.Scoring(
            w_acceptance=self.w_acceptance,
            w_uplift=self.w_uplift,
            w_satisfaction=self.w_satisfaction,
            w_on_time=self.w_on_time,
            uplift_cap=self.uplift_cap,
            bands=(self.band_5, self.band_4, self.band_3, self.band_2),
            min_outcomes=self.min_outcomes,
        )

    @property
    def in_use(self) -> bool:
        return self.pk is not None and self.evaluations.exists()

    def clean(self) -> None:
        super().clean()
        if self.in_use:
            raise ValidationError(SCORING_IN_USE_MESSAGE)
        values = [getattr(self, n) for n in (*WEIGHT_FIELDS, "uplift_cap", *BAND_FIELDS)]
        if any(v is None for v in values) or self.min_outcomes is None:
            return  # the fields' own errors say what is missing
        # The weights' sum is the named constraint's (WEIGHT_SUM_MESSAGE); the rest here.
        errors = {
            name: message
            for name, message in provider_rules.scoring_errors(self.terms()).items()
            if name != "__all__" and name not in WEIGHT_FIELDS
        }
        if "bands" in errors:
            errors["band_2"] = errors.pop("bands")
        if errors:
            raise ValidationError(errors)


class ProviderEvaluation(models.Model):
    """A saved evaluation of one provider in one city as of a day, under one scoring version
    (`manage.py provider_scores --save`): the numbers stay as computed, whatever changes later."""

    city = models.ForeignKey(
        PilotCity, on_delete=models.PROTECT, related_name="+", verbose_name="试点城市"
    )
    provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name="服务商",
    )
    as_of = models.DateField("评价日")
    scoring = models.ForeignKey(
        ProviderScoring,
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name="权重版本",
    )
    status = models.CharField("库内状态", max_length=20)
    projects = models.PositiveIntegerField("服务企业数")
    accepted = models.PositiveIntegerField("验收通过数")
    failed = models.PositiveIntegerField("验收未通过数")
    acceptance_rate = models.DecimalField(
        "验收通过率", max_digits=5, decimal_places=4, null=True, blank=True
    )
    mean_uplift = models.DecimalField(
        "平均等级提升", max_digits=6, decimal_places=4, null=True, blank=True
    )
    mean_satisfaction = models.DecimalField(
        "平均满意度", max_digits=5, decimal_places=4, null=True, blank=True
    )
    on_time_rate = models.DecimalField(
        "按期完工率", max_digits=5, decimal_places=4, null=True, blank=True
    )
    score = models.DecimalField("得分", max_digits=4, decimal_places=1)
    stars = models.PositiveSmallIntegerField("星级", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="创建人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["city", "-as_of", "provider", "-created_at"]
        verbose_name = "服务商评价"
        verbose_name_plural = "服务商评价"
        indexes = [
            models.Index(fields=["city", "as_of"], name="projects_evaluation_city_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100),
                name="projects_providerevaluation_score_range",
            ),
            models.CheckConstraint(
                condition=Q(stars__isnull=True) | Q(stars__gte=1, stars__lte=5),
                name="projects_providerevaluation_stars_range",
            ),
            models.CheckConstraint(
                condition=Q(accepted__lte=F("projects"), failed__lte=F("projects")),
                name="projects_providerevaluation_counts_within_projects",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} {self.city_id} {self.as_of}"


SAMPLE_DESCRIPTION_MAX_LENGTH = 500


class TransformationSample(models.Model):
    """转型样板 (issue 15): an accepted project a city official of its city marks as a sample for
    others to copy (23号 "看样学样"), with a short case description and the products of the
    project's provider it used. The rules (accepted, an after-level, the official's own city,
    the provider's own products) are checked by `projects.services.samples` under a lock on the
    project row; unmarking deletes the row (its history keeps it)."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="sample", verbose_name="项目"
    )
    description = models.CharField("案例简介", max_length=SAMPLE_DESCRIPTION_MAX_LENGTH)
    products = models.ManyToManyField(
        "providers.Product", blank=True, related_name="samples", verbose_name="所用产品"
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="设定人",
    )
    marked_at = models.DateTimeField("设定时间")
    history = HistoricalRecords(m2m_fields=[products])

    class Meta:
        ordering = ["-marked_at", "-id"]
        verbose_name = "转型样板"
        verbose_name_plural = "转型样板"
        constraints = [
            models.CheckConstraint(
                condition=~Q(description=""),
                name="projects_transformationsample_description_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"转型样板 {self.project_id}"
