"""Project API serializers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.reverse import reverse

from accounts import policy
from assessments.api.serializers import StrictInputSerializer

from .. import rules
from ..choices import DocType
from ..models import InvestmentLine, Project, ProjectDocument
from ..selectors import projects as selectors


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


class ProjectDetailSerializer(ProjectSerializer):
    """一企一档：项目信息、投资明细与尚缺的材料。"""

    lines = InvestmentLineSerializer(many=True, read_only=True)
    missing_documents = serializers.SerializerMethodField(
        help_text="已到达阶段要求但尚未上传的材料（阶段、材料类型）"
    )

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "lines", "missing_documents"]
        read_only_fields = fields

    def get_missing_documents(self, project: Project) -> list[dict[str, str]]:
        present = project.documents.values_list("doc_type", flat=True)
        labels = dict(DocType.choices)
        return [
            {"stage": s.value, "doc_type": t, "doc_type_label": str(labels[t])}
            for s, t in rules.missing_documents(selectors.reached_stages(project), present)
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
