"""Assessment API shapes: strict input serializers (unknown or computed fields are refused, never
silently dropped) and read-only output serializers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.reverse import reverse

from sme_pilot.inputs import RETURN_COMMENT_MAX_LENGTH

from .. import services
from ..models import Assessment, Evidence, Purpose

# Computed or set by the lifecycle, never by a caller (STACK.md, field-level rules).
SERVICE_OWNED_FIELDS = frozenset(
    {
        "id",
        "level",
        "level_name",
        "total_score",
        "foundation_score",
        "management_score",
        "outcomes_score",
        "scores",
        "result",
        "method",
        "state",
        "source",
        "revision",
        "indicator_revision",
        "assessed_on",
        "submitted_at",
        "confirmed_at",
        "confirmed_by",
        "returned_at",
        "returned_by",
        "return_comment",
        "pledge",
        "pledge_signer",
        "pledge_title",
        "pledged_at",
        "pledge_text",
        "supersedes",
        "based_on",
        "edit_version",
        "field_versions",
        "created_by",
        "created_at",
        "updated_at",
    }
)


FIXED_AFTER_CREATE = frozenset({"enterprise", "purpose"})


class StrictInputSerializer(serializers.Serializer):
    # Refuses, by name, fields the caller may not set and fields that do not exist, alongside any
    # other error of the request. No docstring: drf-spectacular would show it on every subclass.

    forbidden_fields: frozenset[str] = SERVICE_OWNED_FIELDS
    strict_input = True  # for the API schema (sme_pilot.openapi.AutoSchema)

    def to_internal_value(self, data: Any) -> Any:
        refused = self._refused(data)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if refused and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **refused}) from None
            raise
        if refused:
            raise serializers.ValidationError(refused)
        return value

    def _refused(self, data: Any) -> dict[str, list[str]]:
        sent = set(data) if isinstance(data, dict) else set()
        errors: dict[str, list[str]] = {}
        for name in sorted(sent - set(self.fields)):
            if name in FIXED_AFTER_CREATE and name in self.forbidden_fields:
                message = f"不能设置 {name}：评测创建后不能更改企业或评测目的。"
            elif name in self.forbidden_fields:
                message = f"不能设置 {name}：等级、得分、方式、状态和确认信息由系统按评测流程确定。"
            else:
                message = "未知字段"
            errors[name] = [message]
        return errors


# --- input -------------------------------------------------------------------------------------


class AssessmentCreateSerializer(StrictInputSerializer):
    """新建评测：方式由角色决定（企业用户为自评，现场评定员为现场评定）。"""

    enterprise = serializers.CharField(
        required=False,
        max_length=40,
        help_text="统一社会信用代码；企业用户可省略（默认本企业），现场评定员必填",
    )
    purpose = serializers.ChoiceField(choices=Purpose.choices)


class AssessmentPatchSerializer(StrictInputSerializer):
    """逐项自动保存；任何一项冲突或无效时整个请求都不写入。"""

    forbidden_fields = SERVICE_OWNED_FIELDS | FIXED_AFTER_CREATE

    answers = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        required=False,
        help_text='题目答案，如 {"Q1": ["B", "D"], "Q2": "C"}；null 清除该题',
    )
    scenes = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        required=False,
        help_text='场景评级 0-4，如 {"S01": 2}；null 清除',
    )
    # DRF removes declared fields from the class, so this does not hide Serializer.data.
    data = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(allow_null=True),
        required=False,
        help_text='补充数据，如 {"equipment_total": 120}；null 清除',
    )
    evidence_notes = serializers.DictField(
        child=serializers.CharField(
            allow_blank=True, allow_null=True, max_length=services.NOTE_MAX_LENGTH
        ),
        required=False,
        help_text='佐证材料说明（仅现场评定），如 {"Q2": "设备台账第 3 页"}',
    )
    base_version = serializers.IntegerField(
        min_value=0, help_text="客户端上次看到的 edit_version；期间被他人修改过的字段将返回 409"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not any(attrs.get(k) for k in ("answers", "scenes", "data", "evidence_notes")):
            raise serializers.ValidationError(
                "请至少提供 answers、scenes、data、evidence_notes 中的一项。"
            )
        return attrs


def _max_length(name: str) -> int:
    length = services.SIGNER_MAX_LENGTH.get(name)
    assert length is not None
    return length


class SubmitSerializer(StrictInputSerializer):
    """提交自评须签署真实性承诺。"""

    # Not required here: the service names everything that is missing in one answer.
    signer_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=_max_length("signer_name")
    )
    signer_title = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=_max_length("signer_title")
    )
    pledge_accepted = serializers.BooleanField(required=False, default=False)


class ReturnSerializer(StrictInputSerializer):
    """退回意见，企业可见。"""

    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=RETURN_COMMENT_MAX_LENGTH
    )


class EvidenceUploadSerializer(StrictInputSerializer):
    """上传一个佐证材料（multipart/form-data）。"""

    item = serializers.CharField(
        max_length=Evidence._meta.get_field("item").max_length,
        help_text="题目或场景代码，如 Q3、S01",
    )
    file = serializers.FileField(
        help_text="JPG、PNG 图片或 PDF 文件，按内容识别（不看扩展名）", use_url=False
    )


class EmptySerializer(StrictInputSerializer):
    # Actions without a body (confirm, correct): anything sent is refused by name.
    pass


# --- output ------------------------------------------------------------------------------------


def revision_label(assessment: Assessment) -> str | None:
    revision = assessment.revision
    if revision is None:
        return None
    return f"{revision.version.code} r{revision.number}"


class AssessmentListSerializer(serializers.ModelSerializer):
    """评测列表中的一行。"""

    # Reads only the relations `assessment_list_visible_to` already joins (bounded queries).
    enterprise = serializers.CharField(source="enterprise.uscc", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    city = serializers.CharField(source="enterprise.city.code", read_only=True)
    revision = serializers.SerializerMethodField()
    # A plain string in the schema: an enum component would need a settings-wide name override
    # (ENUM_NAME_OVERRIDES), as "state" is also the import jobs' field.
    state = serializers.CharField(
        read_only=True,
        help_text="draft 草稿，submitted 已提交，confirmed 已确认（仅现场评定），returned 已退回",
    )
    level_name = serializers.CharField(read_only=True)
    confirmed_by = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "city",
            "purpose",
            "method",
            "state",
            "source",
            "revision",
            "level",
            "level_name",
            "total_score",
            "assessed_on",
            "submitted_at",
            "confirmed_at",
            "confirmed_by",
            "supersedes",
            "based_on",
            "edit_version",
            "updated_at",
        ]
        read_only_fields = fields

    def get_revision(self, obj: Assessment) -> str | None:
        return revision_label(obj)

    def get_confirmed_by(self, obj: Assessment) -> str | None:
        return str(obj.confirmed_by) if obj.confirmed_by is not None else None


class QueueItemSerializer(AssessmentListSerializer):
    """待评定列表中的一行：等待现场评定的企业自评。"""

    sub_industry = serializers.CharField(source="enterprise.sub_industry.name", read_only=True)
    onsite_draft = serializers.IntegerField(
        source="onsite_draft_id",
        read_only=True,
        allow_null=True,
        help_text="同一企业、同一目的正在进行的现场评定草稿（评定中）；没有则为 null",
    )

    class Meta(AssessmentListSerializer.Meta):
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "sub_industry",
            "purpose",
            "submitted_at",
            "level",
            "level_name",
            "total_score",
            "onsite_draft",
        ]
        read_only_fields = fields


class PledgeSerializer(serializers.Serializer):
    signer_name = serializers.CharField(source="pledge_signer")
    signer_title = serializers.CharField(source="pledge_title")
    pledged_at = serializers.DateTimeField()
    text_version = serializers.CharField(source="pledge_text.version")
    text = serializers.CharField(source="pledge_text.text")


class AssessmentDetailSerializer(AssessmentListSerializer):
    """评测详情：答题、得分、等级、评测结果、承诺与确认信息。"""

    pledge = serializers.SerializerMethodField()
    returned_by = serializers.SerializerMethodField()
    result = serializers.JSONField(
        read_only=True, help_text="评测结果（docs/rules.md §3.1 的格式）"
    )

    class Meta(AssessmentListSerializer.Meta):
        fields = [
            *AssessmentListSerializer.Meta.fields,
            "answers",
            "scenes",
            "data",
            "evidence_notes",
            "field_versions",
            "foundation_score",
            "management_score",
            "outcomes_score",
            "result",
            "pledge",
            "returned_at",
            "returned_by",
            "return_comment",
            "created_at",
        ]
        read_only_fields = fields

    def get_pledge(self, obj: Assessment) -> dict[str, Any] | None:
        if obj.pledge_text_id is None:
            return None
        return dict(PledgeSerializer(obj).data)

    def get_returned_by(self, obj: Assessment) -> str | None:
        return str(obj.returned_by) if obj.returned_by is not None else None


class FieldMessageSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


class AssessmentPatchResultSerializer(AssessmentDetailSerializer):
    """保存后的评测，以及填写进度和提示（如所选档位与设备台数不符）。"""

    answered = serializers.IntegerField(read_only=True, help_text="已填写的题目和场景数")
    total_items = serializers.IntegerField(read_only=True, help_text="题目和场景总数")
    messages = FieldMessageSerializer(many=True, read_only=True)

    class Meta(AssessmentDetailSerializer.Meta):
        fields = [*AssessmentDetailSerializer.Meta.fields, "answered", "total_items", "messages"]
        read_only_fields = fields


class AutosaveConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    field = serializers.CharField(help_text="冲突的字段，如 Q3、S01、data:equipment_total、note:Q2")
    current = serializers.JSONField(allow_null=True, help_text="该字段当前保存的值")


# --- scoring preview (the §3.1 exchange format) ------------------------------------------------


class AnswerDocumentSerializer(serializers.Serializer):
    """答题文档（docs/rules.md §3.1）：每道题目和每个场景都必须填写，不能有多余的代码。"""

    # Documentation only: the view hands the raw document to scoring.evaluate_document.

    indicator_version = serializers.CharField(max_length=20, help_text="评测指标版本，如 2024")
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text='多选题为选项列表，单选题为一个选项，如 {"Q1": ["B", "D"], "Q2": "C", …}',
    )
    scenes = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=4),
        help_text='每个场景的评级 0-4，如 {"S01": 2, …}',
    )
    data = serializers.DictField(  # type: ignore[assignment]
        child=serializers.IntegerField(min_value=0),
        required=False,
        allow_null=True,
        help_text='可选的交叉核对数据，如 {"equipment_total": 120, "equipment_digital": 30}；'
        "null 等同于省略",
    )


class DimensionsSerializer(serializers.Serializer):
    foundation = serializers.CharField(help_text="数字化基础得分，三位小数")
    management = serializers.CharField(help_text="数字化管理得分，三位小数")
    outcomes = serializers.CharField(help_text="数字化成效得分，三位小数")


class NextLevelSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    points_short = serializers.CharField(help_text="距下一级的分差，三位小数")
    scenes_short = serializers.IntegerField()
    constraint_scenes_short = serializers.IntegerField()
    fewest_changes = serializers.IntegerField(help_text="达到下一级最少需要改变的答案或场景评级数")


class ScoringResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    indicator_version = serializers.CharField()
    total = serializers.CharField(help_text="总分，三位小数，如 44.975")
    dimensions = DimensionsSerializer()
    scenes_at_or_above = serializers.DictField(
        child=serializers.IntegerField(), help_text='评级不低于 1..4 级的场景数，如 {"1": 14, …}'
    )
    constraint_scenes_at_or_above = serializers.DictField(
        child=serializers.IntegerField(), help_text="评级不低于 1..4 级的约束性场景数"
    )
    level = serializers.IntegerField(min_value=0, max_value=4)
    next_level = NextLevelSerializer(allow_null=True, help_text="四级时为 null")


class ScoringInvalidSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    errors = FieldMessageSerializer(many=True)  # type: ignore[assignment]


class EvidenceSerializer(serializers.ModelSerializer):
    """一个佐证材料：题目、原文件名、识别出的类型、大小、SHA-256、上传人与时间、下载地址。"""

    uploaded_by = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "item",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_uploaded_by(self, row: Evidence) -> str:
        user = row.uploaded_by
        return "" if user is None else (user.display_name or user.username)

    def get_download_url(self, row: Evidence) -> str:
        return reverse(
            "assessment-evidence-download",
            args=[row.assessment_id, row.pk],
            request=self.context.get("request"),
        )
