"""Project API serializers."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.reverse import reverse

from accounts import policy
from assessments.api.serializers import StrictInputSerializer
from providers.selectors import scene_names
from sme_pilot.inputs import MAX_ID, parse_number

from .. import rules
from ..choices import DocType
from ..models import (
    EVENT_COMMENT_MAX_LENGTH,
    MONEY_DIGITS,
    SATISFACTION_MAX,
    SATISFACTION_MIN,
    InvestmentLine,
    Project,
    ProjectDocument,
)
from ..selectors import projects as selectors
from ..services import pipeline


class InvestmentLineSerializer(serializers.ModelSerializer[InvestmentLine]):
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    eligible = serializers.SerializerMethodField(help_text="是否计入奖补的符合条件投资")

    class Meta:
        model = InvestmentLine
        fields = ["category", "category_label", "amount", "eligible"]

    def get_eligible(self, line: InvestmentLine) -> bool:
        return line.category in rules.ELIGIBLE


class ProjectSerializer(serializers.ModelSerializer[Project]):
    """一个改造项目：企业、服务商、当前阶段与各阶段日期。"""

    enterprise_uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    city_code = serializers.CharField(source="enterprise.city.code", read_only=True)
    sub_industry = serializers.CharField(source="enterprise.sub_industry.name", read_only=True)
    provider_name = serializers.SerializerMethodField()
    stage = serializers.SerializerMethodField(help_text="当前（最远）阶段代码，未申报为 null")
    stage_label = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id",
            "enterprise_uscc",
            "enterprise_name",
            "city_code",
            "sub_industry",
            "provider",
            "provider_name",
            "stage",
            "stage_label",
            "contract_no",
            "contract_amount",
            "planned_completion_on",
            *rules.DATE_FIELDS[:-1],  # the stage and outcome dates
            "subsidy_central",
            "subsidy_local",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Project) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not policy.sees_enterprise_codes(request.user):
            data.pop("enterprise_uscc", None)  # a provider sees its clients by name only
        return data

    def get_provider_name(self, project: Project) -> str | None:
        return project.provider.name if project.provider else None

    def get_stage(self, project: Project) -> str | None:
        stage = selectors.furthest(project)
        return stage.value if stage else None

    def get_stage_label(self, project: Project) -> str | None:
        stage = selectors.furthest(project)
        return rules.STAGE_LABELS[stage] if stage else None


def move_path(move: rules.Move) -> str:
    """The URL segment of a move's API action: its code with hyphens (select-provider)."""
    return move.value.replace("_", "-")


ALLOWED_MOVE = inline_serializer(
    "AllowedMove",
    {
        "move": serializers.CharField(help_text="操作代码，如 select_provider"),
        "label": serializers.CharField(help_text="操作名称"),
        "url": serializers.CharField(help_text="执行该操作的地址（POST）"),
    },
    many=True,
)


class SceneSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="场景代码")
    name = serializers.CharField(help_text="场景名称")


class ProjectDetailSerializer(ProjectSerializer):
    """一企一档：项目信息、投资明细、尚缺的材料、办理中的状态，以及您现在可以执行的操作。"""

    lines = InvestmentLineSerializer(many=True, read_only=True)
    missing_documents = serializers.SerializerMethodField(
        help_text="已到达阶段要求但尚未上传的材料（阶段、材料类型）"
    )
    allowed_moves = serializers.SerializerMethodField(
        help_text="当前用户现在可以对该项目执行的操作（按流程顺序）"
    )
    filing_state_label = serializers.CharField(source="get_filing_state_display", read_only=True)
    diagnosis_provider_name = serializers.SerializerMethodField(
        help_text="城市指定的诊断服务商名称（未指定为 null，由城市服务机构诊断）"
    )
    diagnosis_scenes = serializers.SerializerMethodField(help_text="诊断确定的改造场景")
    acceptance_checklist = serializers.SerializerMethodField(
        help_text="现场验收核查项及结果（尚未核查为空列表）"
    )

    class Meta(ProjectSerializer.Meta):
        fields = [
            *ProjectSerializer.Meta.fields,
            "lines",
            "missing_documents",
            "allowed_moves",
            "diagnosis_provider",
            "diagnosis_provider_name",
            "diagnosis_scenes",
            "contract_signed_on",
            "filing_state",
            "filing_state_label",
            "acceptance_attempts",
            "failed_attempts",
            "acceptance_scheduled_on",
            "acceptance_checklist",
            "rectification",
            "after_level",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "filing_state": {
                "help_text": "合同备案审核：空为未提交或已通过，submitted 待审核，returned 已退回"
            },
            "acceptance_attempts": {"help_text": "已申请验收次数"},
            "failed_attempts": {"help_text": "验收未通过次数（可再申请一次）"},
            "acceptance_scheduled_on": {"help_text": "安排的现场验收日期"},
            "rectification": {"help_text": "验收未通过时的整改事项"},
            "after_level": {"help_text": "验收通过时确认的改造后等级"},
        }

    def get_missing_documents(self, project: Project) -> list[dict[str, str]]:
        present = project.documents.values_list("doc_type", flat=True)
        labels = dict(DocType.choices)
        return [
            {"stage": s.value, "doc_type": t, "doc_type_label": str(labels[t])}
            for s, t in rules.missing_documents(selectors.reached_stages(project), present)
        ]

    @extend_schema_field(ALLOWED_MOVE)
    def get_allowed_moves(self, project: Project) -> list[dict[str, str]]:
        request = self.context.get("request")
        if request is None:
            return []
        return [
            {
                "move": move.value,
                "label": rules.MOVE_LABELS[move],
                "url": reverse(f"project-{move_path(move)}", args=[project.pk], request=request),
            }
            for move in pipeline.moves_for(request.user, project)
        ]

    def get_diagnosis_provider_name(self, project: Project) -> str | None:
        found = project.diagnosis_provider
        return found.name if found else None

    @extend_schema_field(SceneSerializer(many=True))
    def get_diagnosis_scenes(self, project: Project) -> list[dict[str, str]]:
        if not project.diagnosis_scenes:
            return []
        names = scene_names()
        return [{"code": c, "name": names.get(c, "")} for c in project.diagnosis_scenes]

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "item": {"type": "string", "enum": list(pipeline.CHECKLIST)},
                    "label": {"type": "string"},
                    "passed": {"type": "boolean"},
                },
                "required": ["item", "label", "passed"],
            },
        }
    )
    def get_acceptance_checklist(self, project: Project) -> list[dict[str, Any]]:
        checked = project.acceptance_checklist or {}
        if not checked:
            return []
        return [
            {"item": key, "label": label, "passed": bool(checked.get(key))}
            for key, label in pipeline.CHECKLIST.items()
        ]


class ProjectDocumentSerializer(serializers.ModelSerializer[ProjectDocument]):
    """一份项目材料：阶段、类型、原文件名、识别出的类型、大小、SHA-256、上传人与时间、下载地址。"""

    doc_type_label = serializers.CharField(source="get_doc_type_display", read_only=True)
    uploaded_by = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ProjectDocument
        fields = [
            "id",
            "stage",
            "doc_type",
            "doc_type_label",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_uploaded_by(self, row: ProjectDocument) -> str:
        user = row.uploaded_by
        return "" if user is None else (user.display_name or user.username)

    def get_download_url(self, row: ProjectDocument) -> str:
        return reverse(
            "project-document-download",
            args=[row.project_id, row.pk],
            request=self.context.get("request"),
        )


class ProjectDocumentUploadSerializer(StrictInputSerializer):
    """上传一份项目材料（multipart/form-data）。"""

    stage = serializers.ChoiceField(
        choices=[(s.value, rules.STAGE_LABELS[s]) for s in rules.STAGES], help_text="所属阶段代码"
    )
    doc_type = serializers.ChoiceField(choices=DocType.choices, help_text="材料类型代码")
    file = serializers.FileField(
        help_text="PDF、JPG、PNG、XLSX 或 DOCX 文件，按内容识别（不看扩展名），不超过 20 MB",
        use_url=False,
    )


# --- pipeline moves: input only; the service validates and decides -----------------------------

EARLIEST_DAY, LATEST_DAY = dt.date(1900, 1, 1), dt.date(2099, 12, 31)
# The shape sme_pilot.inputs.parse_number reads (its digit and decimal limits give their own 400).
MONEY_PATTERN = r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*$"
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


class DayField(serializers.DateField):
    """An ISO date (YYYY-MM-DD) from 1900 to 2099: beyond that it is a typing error, and date
    arithmetic on it (planned completion within five years of signing) would overflow."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(input_formats=["iso-8601"], **kwargs)

    def to_internal_value(self, value: Any) -> dt.date:
        if not isinstance(value, str) or not ISO_DAY.match(value):
            raise serializers.ValidationError("请填写 YYYY-MM-DD 格式的日期")
        day: dt.date = super().to_internal_value(value)
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            raise serializers.ValidationError(
                f"日期须在 {EARLIEST_DAY.isoformat()} 至 {LATEST_DAY.isoformat()} 之间"
            )
        return day


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "pattern": MONEY_PATTERN},
            {"type": "number", "multipleOf": 0.01},
        ],
        "description": "金额（元），最多两位小数",
    }
)
class MoneyField(serializers.Field):
    """Yuan with at most two decimals, as text ("300000.00") or a JSON number, read by
    sme_pilot.inputs.parse_number (bounded, no exponent, never a float in between)."""

    def to_internal_value(self, data: Any) -> Decimal:
        name = self.field_name or "amount"
        try:
            return parse_number(data, field=name, max_digits=MONEY_DIGITS, decimal_places=2)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict[name]) from None

    def to_representation(self, value: Any) -> str:
        return str(value)


def _comment(*, required: bool = False, help_text: str = "说明（选填）") -> serializers.CharField:
    return serializers.CharField(
        required=required,
        allow_blank=True,
        max_length=EVENT_COMMENT_MAX_LENGTH,
        help_text=f"{help_text}，不超过 {EVENT_COMMENT_MAX_LENGTH} 个字符",
    )


def _id(help_text: str, *, required: bool = False) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=required, help_text=help_text
    )


def _money(help_text: str, *, required: bool = False) -> MoneyField:
    return MoneyField(required=required, help_text=f"{help_text}（元，最多两位小数）")


class CommentInputSerializer(StrictInputSerializer):
    """只需一段说明（选填）的操作。"""

    forbidden_fields = frozenset()
    comment = _comment()


class ReasonInputSerializer(StrictInputSerializer):
    """须写明原因的操作（不予入库、退回合同备案、退出）。"""

    forbidden_fields = frozenset()
    comment = _comment(required=True, help_text="原因（必填）")


class ApplyInputSerializer(StrictInputSerializer):
    """申报入库：企业为本企业申报，城市管理员须指定本市企业；须确认全部资格承诺。"""

    forbidden_fields = frozenset()
    enterprise = serializers.CharField(
        required=False,
        max_length=40,
        help_text="申报企业的统一社会信用代码：城市管理员必填；企业用户省略（总是本企业）",
    )
    registered_locally = serializers.BooleanField(
        required=False, help_text=pipeline.DECLARATION["registered_locally"]
    )
    good_credit = serializers.BooleanField(
        required=False, help_text=pipeline.DECLARATION["good_credit"]
    )
    no_violations = serializers.BooleanField(
        required=False, help_text=pipeline.DECLARATION["no_violations"]
    )
    pledge = serializers.BooleanField(required=False, help_text=pipeline.DECLARATION["pledge"])
    comment = _comment()


class AdmitInputSerializer(StrictInputSerializer):
    """入库，可指定负责诊断的服务商（须在本市服务商库中“在库”）。"""

    forbidden_fields = frozenset()
    diagnosis_provider = _id("负责诊断的服务商编号；省略则由城市服务机构诊断")
    comment = _comment()


class DiagnoseInputSerializer(StrictInputSerializer):
    """提交诊断：须先上传诊断报告。"""

    forbidden_fields = frozenset()
    scenes = serializers.ListField(
        child=serializers.CharField(max_length=20),
        max_length=50,
        help_text='诊断确定的改造场景代码，如 ["S01", "S03"]，至少一个',
    )
    baseline_assessment = _id("关联的改造前（baseline）评测编号（选填）")
    comment = _comment()


class SelectProviderInputSerializer(StrictInputSerializer):
    """选择服务商：须在本市服务商库中“在库”。"""

    forbidden_fields = frozenset()
    provider = _id("服务商编号", required=True)
    comment = _comment()


class FileContractInputSerializer(StrictInputSerializer):
    """提交合同备案（须先上传合同文件）；被退回后按同样方式重新提交。"""

    forbidden_fields = frozenset()
    contract_no = serializers.CharField(
        max_length=pipeline.CONTRACT_NO_MAX_LENGTH, allow_blank=True, help_text="合同编号"
    )
    signed_on = DayField(help_text="合同签订日期（YYYY-MM-DD）")
    contract_amount = _money("合同金额", required=True)
    planned_completion_on = DayField(help_text="计划完工日期（YYYY-MM-DD）")
    software = _money("软件投资")
    cloud = _money("云服务投资")
    data_hardware = _money("数据采集传输设备投资")
    it_ops = _money("运维服务投资")
    embedded = _money("嵌入式/PLC 软件投资")
    office_it = _money("办公电脑及外设投资")
    cabling = _money("弱电布线投资")
    other = _money("其他投资")
    comment = _comment()


class ApplyAcceptanceInputSerializer(StrictInputSerializer):
    """申请验收：须先上传发票、付款凭证和项目总结，并提交改造后自评。"""

    forbidden_fields = frozenset()
    satisfaction = serializers.IntegerField(
        min_value=SATISFACTION_MIN,
        max_value=SATISFACTION_MAX,
        help_text=f"对服务商的评分（{SATISFACTION_MIN} 到 {SATISFACTION_MAX} 分）",
    )
    comment = _comment()


class ScheduleAcceptanceInputSerializer(StrictInputSerializer):
    """安排现场验收日期。"""

    forbidden_fields = frozenset()
    on = DayField(help_text="现场验收日期（YYYY-MM-DD），今天到一年以内")
    comment = _comment()


class ChecklistInputSerializer(StrictInputSerializer):
    # The on-site checklist (pipeline.CHECKLIST): an item left out has not passed.

    forbidden_fields = frozenset()
    systems_in_use = serializers.BooleanField(
        required=False, help_text=f"核查项：{pipeline.CHECKLIST['systems_in_use']}"
    )
    contract_genuine = serializers.BooleanField(
        required=False, help_text=f"核查项：{pipeline.CHECKLIST['contract_genuine']}"
    )
    invoices_genuine = serializers.BooleanField(
        required=False, help_text=f"核查项：{pipeline.CHECKLIST['invoices_genuine']}"
    )
    dossier_complete = serializers.BooleanField(
        required=False, help_text=f"核查项：{pipeline.CHECKLIST['dossier_complete']}"
    )


class AcceptInputSerializer(ChecklistInputSerializer):
    """确认验收通过：核查项全部通过，且有完工以来经现场评定员确认的改造后评测（不低于 2 级）。"""

    comment = _comment()


class FailAcceptanceInputSerializer(ChecklistInputSerializer):
    """确认验收未通过，写明整改事项；项目可再申请验收一次。"""

    rectification = serializers.CharField(
        allow_blank=True,
        max_length=EVENT_COMMENT_MAX_LENGTH,
        help_text=f"整改事项（必填），不超过 {EVENT_COMMENT_MAX_LENGTH} 个字符",
    )


class ApproveSubsidyInputSerializer(StrictInputSerializer):
    """核定奖补，分中央资金和地方资金，合计不超过按奖补政策可获得的上限。"""

    forbidden_fields = frozenset()
    central = _money("中央资金")
    local = _money("地方资金")
    comment = _comment()


class PaySubsidyInputSerializer(StrictInputSerializer):
    """拨付奖补，中央与地方拨付合计等于核定金额。"""

    forbidden_fields = frozenset()
    central = _money("中央资金拨付")
    local = _money("地方资金拨付")
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=pipeline.REFERENCE_MAX_LENGTH,
        help_text="拨付凭证号（选填）",
    )
    comment = _comment()
