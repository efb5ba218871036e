"""Import API: upload a file as a job, list and read one's own jobs, confirm a dry run.

Small files are validated and (unless `dry_run`) imported within the request: 201 with the job,
or 400 with every row error and nothing written. Files above the async threshold answer 202
with the job; poll its URL. Roles that cannot import get 404 from every endpoint here, as if it
did not exist; anonymous callers get 403 like everywhere in the API.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts.requests import SignedInViewSet
from sme_pilot.openapi import AutoSchema, ErrorSerializer

from ..imports import jobs, registry, selectors
from ..imports.results import error_summary
from ..models import ImportJob, ImportJobState, PilotCity


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="表格中的行号（表头为第 1 行）")
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    # None for an administrator's import, which is not bound to a city.
    city: serializers.SlugRelatedField[PilotCity] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    created = serializers.IntegerField(source="created_count", read_only=True)
    updated = serializers.IntegerField(source="updated_count", read_only=True)
    unchanged = serializers.IntegerField(source="unchanged_count", read_only=True)
    # DRF removes declared fields from the class, so this does not hide Serializer.errors.
    errors = ImportErrorSerializer(many=True, read_only=True)  # type: ignore[assignment]

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "url",
            "kind",
            "kind_display",
            "state",
            "state_display",
            "original_filename",
            "size_bytes",
            "run_async",
            "auto_apply",
            "city",
            "total_rows",
            "created",
            "updated",
            "unchanged",
            "error_count",
            "error_rows",
            "errors",
            "progress_percent",
            "progress_message",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, job: ImportJob) -> str:
        return reverse("import-job-detail", args=[job.pk], request=self.context.get("request"))


class ImportJobCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[])
    file = serializers.FileField(help_text="CSV（UTF-8 或 GB18030）或 XLSX 文件")
    dry_run = serializers.BooleanField(default=False, help_text="只校验，不写入")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The kinds the apps registered (cities.imports.registry), known once apps are ready.
        self.fields["kind"].choices = registry.choices()  # type: ignore[attr-defined]


class ImportRejectedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    error_count = serializers.IntegerField(help_text="错误处数")
    error_rows = serializers.IntegerField(help_text="有错误的数据行数（不含整个文件的错误）")
    errors = ImportErrorSerializer(many=True)  # type: ignore[assignment]
    job = ImportJobSerializer(allow_null=True)


def _rejected(detail: str, errors: list[dict[str, Any]], job: dict[str, Any] | None) -> Response:
    rows = len({e["row"] for e in errors if e["row"] is not None})
    body = {
        "detail": detail,
        "error_count": len(errors),
        "error_rows": rows,
        "errors": errors,
        "job": job,
    }
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _field_errors(errors: dict[str, Any]) -> list[dict[str, Any]]:
    """A form's {field: [messages]} as import errors, so every 400 here has one shape."""
    return [
        {"row": None, "column": field, "message": str(message)}
        for field, messages in errors.items()
        for message in messages
    ]


_MAX_ID = 2**63  # BigAutoField; a larger number in the URL is simply not found


@extend_schema_view(
    list=extend_schema(
        summary="我的导入任务",
        description="您可查看的导入任务：城市管理员为本市的任务，系统管理员为全部任务。",
    ),
    retrieve=extend_schema(
        summary="导入任务详情（轮询进度）",
        description="任务状态、进度、计数与逐行错误；后台任务请轮询本接口直到完成。",
    ),
)
class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SignedInViewSet):
    schema = AutoSchema()
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]
    # Any text reaches the view, which answers a JSON 404 (not Django's HTML page) for a non-id.
    lookup_value_regex = "[^/]+"

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        if not selectors.import_kinds_for(user=request.user):
            raise exceptions.NotFound()

    def get_queryset(self) -> Any:
        return selectors.import_job_list_visible_to(user=self.request.user)

    def get_object(self) -> ImportJob:
        pk = str(self.kwargs["pk"])
        if not (pk.isascii() and pk.isdigit() and int(pk) < _MAX_ID):
            raise exceptions.NotFound("没有找到该导入任务")
        return selectors.import_job_get_visible(user=self.request.user, pk=int(pk))

    def _job_response(self, job: ImportJob, *, created: bool) -> Response:
        job.refresh_from_db()
        data = ImportJobSerializer(job, context=self.get_serializer_context()).data
        if job.state == ImportJobState.INVALID:
            summary = error_summary(job.error_rows, job.error_count)
            body = {
                "detail": f"导入文件校验未通过：{summary}，未写入任何数据",
                "error_count": job.error_count,
                "error_rows": job.error_rows,
                "errors": data["errors"],
                "job": data,
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        if job.state == ImportJobState.FAILED:
            error = {"row": None, "column": "", "message": job.progress_message}
            return _rejected(job.progress_message, [error], data)
        if not job.is_finished:
            headers = {"Location": data["url"]}
            return Response(data, status=status.HTTP_202_ACCEPTED, headers=headers)
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="上传导入文件",
        description="上传 CSV 或 XLSX：先校验，全部正确才写入（dry_run 为真时只校验）；"
        "小文件在请求内完成，大文件返回 202 后台处理。",
        request={"multipart/form-data": ImportJobCreateSerializer},
        responses={
            201: ImportJobSerializer,
            202: OpenApiResponse(
                ImportJobSerializer, description="大文件：后台校验与导入，请轮询 url"
            ),
            400: ImportRejectedSerializer,
            404: OpenApiResponse(ErrorSerializer, description="您的角色不能导入数据"),
            429: OpenApiResponse(
                ErrorSerializer, description="上传过于频繁（每小时上限），见 Retry-After"
            ),
        },
    )
    def create(self, request: Request) -> Response:
        payload = ImportJobCreateSerializer(data=request.data)
        if not payload.is_valid():
            return _rejected("请求无效，未写入任何数据", _field_errors(payload.errors), None)
        user = self.request.user
        kind = payload.validated_data["kind"]
        if kind not in selectors.import_kinds_for(user=user):
            raise exceptions.PermissionDenied(f"您无权导入“{registry.label(kind)}”数据")
        try:
            job = jobs.import_job_create(
                kind=kind,
                upload=payload.validated_data["file"],
                actor=user,
                auto_apply=not payload.validated_data["dry_run"],
            )
        except DjangoValidationError as exc:
            message = " ".join(exc.messages)
            return _rejected(message, [{"row": None, "column": "file", "message": message}], None)
        jobs.import_job_start(job)
        return self._job_response(job, created=True)

    @extend_schema(
        summary="确认导入已校验通过的任务",
        description="对“校验通过，待确认”的任务写入数据：写入前按当前数据库重新校验，全部成功或全部不写入。",
        request=None,
        responses={
            200: ImportJobSerializer,
            202: ImportJobSerializer,
            400: ImportRejectedSerializer,
            409: OpenApiResponse(description="任务不在“校验通过，待确认”状态"),
        },
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        job = self.get_object()
        if not jobs.import_job_confirm(job):
            return Response(
                {"detail": "该导入任务不在“校验通过，待确认”状态"}, status=status.HTTP_409_CONFLICT
            )
        return self._job_response(job, created=False)
