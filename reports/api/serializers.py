"""Report API shapes: the strict input of a report request and the job as its caller sees it.

A kind of report names its subject with one parameter of its own (`SUBJECTS`); the national
report has none. A new kind plugs in with its field below, one `SUBJECTS` entry and the service's
keyword of the same name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final, NamedTuple

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from assessments.api.serializers import StrictInputSerializer
from cities.models import PilotCity
from sme_pilot.inputs import MAX_ID, AsOfError, parse_as_of

from ..downloads import report_subject
from ..models import ReportJob, ReportJobState, ReportKind


class Subject(NamedTuple):
    param: str  # the request field, and the keyword of reports.services.report_request
    what: str  # what it names, for the message when it is missing


# Every kind of report and the parameter naming its subject (None: the whole country).
SUBJECTS: Final[dict[str, Subject | None]] = {
    ReportKind.CITY: Subject("city_code", "试点城市代码"),
    ReportKind.NATIONAL: None,
    ReportKind.ASSESSMENT: Subject("assessment_id", "评测编号"),
    ReportKind.DOSSIER: Subject("enterprise_id", "企业编号"),
}
SUBJECT_PARAMS: Final = frozenset(s.param for s in SUBJECTS.values() if s is not None)


@extend_schema_field(OpenApiTypes.DATE)
class AsOfText(serializers.CharField):
    """A YYYY-MM-DD date read by sme_pilot.inputs.parse_as_of, as the report pages read it."""


class ReportRequestSerializer(StrictInputSerializer):
    forbidden_fields = frozenset()  # any other field is simply unknown (未知字段)

    kind = serializers.ChoiceField(
        choices=ReportKind.choices,
        help_text="报告类型：city 城市试点绩效报告，national 全国试点汇总报告，"
        "assessment 企业数字化水平评测报告，dossier 企业一企一档",
    )
    city_code = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=PilotCity._meta.get_field("code").max_length,
        help_text="试点城市代码（city 报告必填，其他类型不填）",
    )
    assessment_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="评测编号（assessment 报告必填，其他类型不填）",
    )
    enterprise_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="企业编号（dossier 一企一档必填，其他类型不填）",
    )
    as_of = AsOfText(
        required=False,
        max_length=len("YYYY-MM-DD"),
        allow_null=True,
        allow_blank=True,
        help_text="数据截至日期 YYYY-MM-DD（默认今天，不能晚于今天）",
    )

    def validate_as_of(self, value: str | None) -> dt.date:
        try:
            return parse_as_of(value)
        except AsOfError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs["kind"]
        label = ReportKind(kind).label
        subject = SUBJECTS[kind]
        errors: dict[str, list[str]] = {}
        if subject is not None and attrs.get(subject.param) in (None, ""):
            errors[subject.param] = [f"{label}须指定{subject.what}"]
        for param in sorted(SUBJECT_PARAMS):
            if attrs.get(param) is not None and (subject is None or param != subject.param):
                errors[param] = [f"{label}不使用此参数，请不要填写"]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def service_kwargs(self) -> dict[str, Any]:
        """The keywords of reports.services.report_request: kind, the subject, as_of."""
        data = self.validated_data
        subject = SUBJECTS[data["kind"]]
        kwargs = {"kind": data["kind"], "as_of": data.get("as_of")}
        if subject is not None:
            kwargs[subject.param] = data[subject.param]
        return kwargs


class ReportLinksSerializer(serializers.Serializer):
    status = serializers.URLField(help_text="状态与进度（本接口，可轮询）")
    download = serializers.URLField(
        allow_null=True, help_text="PDF 下载地址；报告生成完成前为 null"
    )


class ReportJobSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    subject = serializers.SerializerMethodField(help_text="报告对象：城市名称、企业名称或“全国”")
    city_code = serializers.SerializerMethodField(help_text="试点城市代码（city 报告）")
    assessment_id = serializers.SerializerMethodField(help_text="评测编号（assessment 报告）")
    enterprise_id = serializers.SerializerMethodField(help_text="企业编号（dossier 一企一档）")
    as_of = serializers.SerializerMethodField(help_text="数据截至日期")
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    progress = serializers.IntegerField(
        source="progress_percent", read_only=True, help_text="进度（0-100）"
    )
    links = serializers.SerializerMethodField()

    class Meta:
        model = ReportJob
        fields = [
            "id",
            "kind",
            "kind_display",
            "subject",
            "city_code",
            "assessment_id",
            "enterprise_id",
            "as_of",
            "state",
            "state_display",
            "progress",
            "progress_message",
            "error_message",
            "created_at",
            "finished_at",
            "links",
        ]
        read_only_fields = fields

    def get_subject(self, job: ReportJob) -> str:
        return report_subject(job)

    def get_city_code(self, job: ReportJob) -> str | None:
        return job.city.code if job.city is not None else None

    def get_assessment_id(self, job: ReportJob) -> int | None:
        return job.assessment_id

    def get_enterprise_id(self, job: ReportJob) -> int | None:
        return job.enterprise_id

    @extend_schema_field({"type": "string", "format": "date", "nullable": True})
    def get_as_of(self, job: ReportJob) -> str | None:
        as_of = job.params.get("as_of")
        return str(as_of) if as_of else None

    @extend_schema_field(ReportLinksSerializer)
    def get_links(self, job: ReportJob) -> dict[str, str | None]:
        request = self.context.get("request")
        done = job.state == ReportJobState.DONE and bool(job.file)
        return {
            "status": reverse("report-job-detail", args=[job.pk], request=request),
            "download": (
                reverse("report-job-download", args=[job.pk], request=request) if done else None
            ),
        }
