"""Project API: the scoped project list and detail (一企一档), and each project's documents
(list, multipart upload, download, delete) through the same selectors and services as the
pages. Out of scope is 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.requests import SignedInViewSet
from sme_pilot.api import CursorPagination
from sme_pilot.downloads import private_file_response
from sme_pilot.inputs import MAX_ID, BoundedJSONParser, parse_id_or_none
from sme_pilot.observability import security_event
from sme_pilot.openapi import VALIDATION_ERROR_RESPONSE, AutoSchema

from .. import rules
from ..models import DOCUMENT_KINDS, Project, ProjectDocument
from ..selectors import projects as selectors
from ..services import documents as services
from . import serializers


class ProjectPagination(CursorPagination):
    ordering = "-id"


ID_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
LIST_FILTERS = [
    OpenApiParameter(
        "stage", str, enum=[s.value for s in rules.STAGES], description="当前阶段代码"
    ),
    OpenApiParameter(
        "reached",
        str,
        enum=[s.value for s in rules.STAGES],
        description="已到达的阶段代码：该阶段日期不晚于 as_of（与项目进展漏斗的口径相同）",
    ),
    OpenApiParameter(
        "outcome",
        str,
        enum=list(selectors.OUTCOMES),
        description="结果：rejected 未入库、withdrawn 已退出、acceptance_failed 验收未通过，"
        "日期不晚于 as_of",
    ),
    OpenApiParameter(
        "as_of",
        OpenApiTypes.DATE,
        description="reached、outcome、overdue 的统计日（默认今天，不能晚于今天）",
    ),
    OpenApiParameter("city", ID_SCHEMA, description="试点城市编号"),
    OpenApiParameter(
        "district",
        {"oneOf": [ID_SCHEMA, {"type": "string", "enum": [selectors.NO_DISTRICT]}]},
        description="区县编号；none 为未划分区县的企业",
    ),
    OpenApiParameter("sub_industry", ID_SCHEMA, description="细分行业编号"),
    OpenApiParameter("provider", ID_SCHEMA, description="服务商编号"),
    OpenApiParameter(
        "overdue",
        {"type": "string", "enum": ["true", "false", "acceptance", "completion"]},
        description="逾期：true 为未完工或未申请验收逾期，acceptance 逾期未申请验收，"
        "completion 逾期未完工（截至 as_of）",
    ),
    OpenApiParameter(
        "q",
        {"type": "string", "maxLength": selectors.QUERY_MAX_LENGTH},
        description="按企业名称或统一社会信用代码搜索",
    ),
]


def _project(user: object, raw: str) -> Project:
    pk = parse_id_or_none(raw)
    if pk is None:
        raise exceptions.NotFound("没有找到该改造项目")
    return selectors.project_get_visible(user=user, pk=pk)


@extend_schema_view(
    list=extend_schema(
        summary="改造项目列表",
        description=(
            "您可查看的改造项目：城市用户为本市企业的项目，部委用户和系统管理员为全部城市，"
            "企业用户为本企业的项目。可按阶段、细分行业、服务商、是否逾期筛选，并按企业名称或"
            "统一社会信用代码搜索。"
        ),
        parameters=LIST_FILTERS,
    ),
    retrieve=extend_schema(
        summary="改造项目详情（一企一档）",
        description=(
            "项目信息、各阶段日期、投资明细（是否计入奖补）与尚缺的材料；"
            "不在您范围内的项目返回 404。"
        ),
    ),
)
class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SignedInViewSet):
    schema = AutoSchema()
    pagination_class = ProjectPagination
    parser_classes = [BoundedJSONParser]
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> Any:
        qs = selectors.project_list_visible_to(user=self.request.user)
        if self.action == "list":
            filters = selectors.ProjectFilters.from_api(self.request.query_params)
            qs = selectors.filter_projects(qs, filters)
        return qs

    def get_object(self) -> Project:
        return _project(self.request.user, self.kwargs["pk"])

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return serializers.ProjectDetailSerializer
        return serializers.ProjectSerializer


@extend_schema_view(
    list=extend_schema(
        summary="项目材料列表",
        description=(
            "一个改造项目一企一档中的全部材料；能查看该项目的用户均可查看，"
            "不在您范围内的项目返回 404。"
        ),
    ),
)
class ProjectDocumentViewSet(SignedInViewSet):
    """Documents of one project. Uploads are multipart (the only body here)."""

    schema = AutoSchema()
    serializer_class = serializers.ProjectDocumentSerializer
    parser_classes = [MultiPartParser]
    pagination_class = None

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return ProjectDocument.objects.none()
        project = _project(self.request.user, self.kwargs["project_pk"])
        return selectors.documents_of(project=project)

    def get_object(self) -> ProjectDocument:
        pk = parse_id_or_none(self.kwargs["pk"])
        found = None if pk is None else self.get_queryset().filter(pk=pk).first()
        if found is None:
            raise exceptions.NotFound("没有找到该项目材料")
        return found

    def list(self, request: Request, project_pk: str) -> Response:
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    @extend_schema(
        summary="上传项目材料",
        description=(
            "为项目的一个阶段上传一份材料：PDF、JPG、PNG、XLSX 或 DOCX（按内容识别），"
            "单个不超过 20 MB，每个项目数量有上限，文件名不能含路径；"
            "项目所属企业和本市管理员可以上传。"
        ),
        request={"multipart/form-data": serializers.ProjectDocumentUploadSerializer},
        responses={201: serializers.ProjectDocumentSerializer, 400: VALIDATION_ERROR_RESPONSE},
    )
    def create(self, request: Request, project_pk: str) -> Response:
        project = _project(self.request.user, project_pk)
        payload = serializers.ProjectDocumentUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        row = services.document_add(
            actor=self.request.user,
            project_id=project.pk,
            stage=payload.validated_data["stage"],
            doc_type=payload.validated_data["doc_type"],
            upload=payload.validated_data["file"],
        )
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="删除项目材料",
        description="上传人可以在项目通过验收之前删除自己上传的材料；文件随之删除。",
        request=None,
        responses={204: None},
    )
    def destroy(self, request: Request, project_pk: str, pk: str) -> Response:
        row = self.get_object()
        services.document_delete(
            actor=self.request.user, project_id=row.project_id, document_id=row.pk
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="下载项目材料",
        description="以附件形式下载原文件（原文件名、识别出的类型），不在您范围内的项目返回 404。",
        responses={(200, kind.content_type): OpenApiTypes.BINARY for kind in DOCUMENT_KINDS},
    )
    def download(self, request: Request, project_pk: str, pk: str) -> HttpResponseBase:
        row = self.get_object()
        try:
            handle = row.file.open("rb")
        except FileNotFoundError:
            raise exceptions.NotFound("项目材料文件不存在") from None
        security_event("project_document_download", request=request, document_id=row.pk)
        return private_file_response(handle, name=row.original_name, content_type=row.content_type)
