"""Report API, mounted at /api/v1/reports/: 我的报告, a report request, a job's status and its
PDF, through the same selectors and services as the report pages (reports/views.py).

A request is `reports.services.report_request_or_reuse`: out of scope is 404, over the hourly
limit 429 with Retry-After (nothing written), the same report of the same data the existing job
(200) instead of a new one (201). A job is looked up by `report_job_get_visible`, so a job whose
subject the caller cannot see is a 404 however it got its id. A role with no report to request
(a provider) gets 404 from every endpoint here, as the page 我的报告 answers it.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.policy import report_kinds
from accounts.requests import SignedInViewSet
from sme_pilot.api import CursorPagination
from sme_pilot.inputs import parse_id_or_none
from sme_pilot.openapi import VALIDATION_ERROR_RESPONSE, AutoSchema, ErrorSerializer

from .. import selectors, services
from ..downloads import report_download_response
from ..models import ReportJob
from . import serializers


class ReportJobPagination(CursorPagination):
    ordering = "-id"  # newest first, as 我的报告 on the page


NOT_FOUND = "没有找到该报告"


@extend_schema_view(
    list=extend_schema(
        summary="我的报告",
        description=(
            "您申请过的报告（与他人申请的同一份报告共用一个任务，也列在这里），新的在前；"
            "不再在您范围内的报告不列出。服务商等没有可申请报告的角色返回 404。"
        ),
    ),
    retrieve=extend_schema(
        summary="报告状态与进度",
        description=(
            "报告任务的状态（排队中、生成中、已完成、失败）、进度与下载地址，生成期间可轮询；"
            "能查看报告对象（城市、全国或评测）的用户均可查看，否则返回 404。"
        ),
    ),
)
class ReportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SignedInViewSet):
    schema = AutoSchema()
    serializer_class = serializers.ReportJobSerializer
    pagination_class = ReportJobPagination
    filterset_class = None
    # Any text reaches the view, which answers a JSON 404 (not Django's HTML page) for a non-id.
    lookup_value_regex = "[^/]+"

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        if not report_kinds(request.user):
            raise exceptions.NotFound(NOT_FOUND)

    def get_queryset(self) -> Any:
        return selectors.report_job_list_requested_by(user=self.request.user)

    def get_object(self) -> ReportJob:
        pk = parse_id_or_none(self.kwargs["pk"])
        if pk is None:
            raise exceptions.NotFound(NOT_FOUND)
        return selectors.report_job_get_visible(user=self.request.user, pk=pk)

    @extend_schema(
        summary="申请生成报告",
        description=(
            "申请一份报告：kind 为 city 时填 city_code，assessment 时填 assessment_id，dossier "
            "时填 enterprise_id，national 不填对象；as_of 为数据截至日期（默认今天）。"
            "数据未变化的同一份报告直接返回已有任务"
            "（200，不计入次数），否则新建任务在后台生成（201，Location 为状态地址）。"
            "报告对象不在您范围内返回 404；每小时新申请的报告超过上限返回 429（Retry-After "
            "为需等待的秒数），不写入任何数据；输入无效返回 400（指明字段）。"
        ),
        request=serializers.ReportRequestSerializer,
        responses={
            200: OpenApiResponse(
                serializers.ReportJobSerializer, description="数据未变化：已有的报告任务"
            ),
            201: OpenApiResponse(
                serializers.ReportJobSerializer, description="新建的报告任务（排队生成）"
            ),
            400: VALIDATION_ERROR_RESPONSE,
            404: OpenApiResponse(ErrorSerializer, description="报告对象不存在或不在您的范围内"),
            429: OpenApiResponse(
                ErrorSerializer,
                description="每小时新申请的报告已达上限，Retry-After 头为需等待的秒数",
            ),
        },
    )
    def create(self, request: Request) -> Response:
        payload = serializers.ReportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        user = self.request.user
        job, created = services.report_request_or_reuse(actor=user, **payload.service_kwargs())
        # Read again through the scope: it may have been rendered meanwhile (eager tasks).
        found = selectors.report_job_get_visible(user=user, pk=job.pk)
        data = self.get_serializer(found).data
        if not created:
            return Response(data)
        headers = {"Location": data["links"]["status"]}
        return Response(data, status=status.HTTP_201_CREATED, headers=headers)

    @extend_schema(
        summary="下载报告",
        description=(
            "以附件形式下载报告 PDF（文件名与页面下载相同），并记录下载。报告尚未生成完成或"
            "生成失败返回 409（说明当前状态）；不在您范围内的报告返回 404。"
        ),
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            409: OpenApiResponse(ErrorSerializer, description="报告尚未生成完成或生成失败"),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> FileResponse:
        job = self.get_object()
        return report_download_response(request, job=job, user=self.request.user)
