"""Project API: the scoped project list and detail (一企一档), the application and every
pipeline move (one POST action per move, each with its strict input serializer, all through
`pipeline.perform`), and each project's documents (list, multipart upload, download, delete),
through the same selectors and services as the pages. Out of scope is 404, a role that may not
make the move 403, a move the project's stage does not allow 409, bad input 400."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.requests import SignedInViewSet
from assessments.api.serializers import StrictInputSerializer
from cities import selectors as city_selectors
from sme_pilot.api import CursorPagination
from sme_pilot.downloads import stored_upload_response
from sme_pilot.inputs import MAX_ID, BoundedJSONParser, parse_id_or_none
from sme_pilot.openapi import VALIDATION_ERROR_RESPONSE, AutoSchema, ErrorSerializer

from .. import rules
from ..models import DOCUMENT_KINDS, Project, ProjectDocument
from ..selectors import projects as selectors
from ..services import documents as services
from ..services import pipeline
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
        enum=list(selectors.OUTCOME_LABELS),
        description="结果：rejected 未入库、withdrawn 已退出、acceptance_failed 验收未通过，"
        "日期不晚于 as_of；服务商评价的明细：acceptance_decided 有验收结果（通过或未通过）、"
        "failed_not_accepted 验收未通过且尚未通过、on_time 按期完工（完工日期不晚于计划完工日期）",
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


Move = pipeline.Move

# Every move but the application: its input, and who makes it when (the stage table decides).
MOVES: dict[Move, tuple[type[StrictInputSerializer], str]] = {
    Move.DISTRICT_REVIEW_APPLICATION: (
        serializers.CommentInputSerializer,
        "区县管理员对本区县企业的入库申请进行初审，通过后交城市管理员决定是否入库。",
    ),
    Move.ADMIT: (
        serializers.AdmitInputSerializer,
        "城市管理员在区县初审后将项目入库，可指定负责诊断的服务商（须在本市服务商库中“在库”）；"
        "不指定则由城市服务机构诊断。",
    ),
    Move.REJECT: (
        serializers.ReasonInputSerializer,
        "不予入库（未入库），须写明原因：区县管理员在初审时或城市管理员决定时。",
    ),
    Move.DIAGNOSE: (
        serializers.DiagnoseInputSerializer,
        "城市指定的诊断服务商（或城市管理员代城市服务机构）提交诊断：须先上传诊断报告，"
        "写明改造场景，可关联一次改造前评测。",
    ),
    Move.SELECT_PROVIDER: (
        serializers.SelectProviderInputSerializer,
        "企业从本市服务商库中选择一家“在库”的服务商。",
    ),
    Move.FILE_CONTRACT: (
        serializers.FileContractInputSerializer,
        "企业提交合同备案：合同编号、签订日期、金额、计划完工日期与各类投资明细"
        "（合计不超过合同金额），须先上传合同文件；被退回后按同样方式重新提交。",
    ),
    Move.APPROVE_FILING: (
        serializers.CommentInputSerializer,
        "城市管理员审核通过企业提交的合同备案。",
    ),
    Move.RETURN_FILING: (
        serializers.ReasonInputSerializer,
        "城市管理员退回合同备案，须写明退回原因，企业据此修改后重新提交。",
    ),
    Move.COMPLETE: (serializers.CommentInputSerializer, "企业申报改造完工。"),
    Move.APPLY_ACCEPTANCE: (
        serializers.ApplyAcceptanceInputSerializer,
        "企业在完工后申请验收并为服务商评分：须先上传发票、付款凭证和项目总结，"
        "并提交改造后自评；验收未通过后可再申请一次。",
    ),
    Move.DISTRICT_REVIEW_ACCEPTANCE: (
        serializers.CommentInputSerializer,
        "区县管理员对本区县企业的验收申请进行初审。",
    ),
    Move.SCHEDULE_ACCEPTANCE: (
        serializers.ScheduleAcceptanceInputSerializer,
        "城市管理员安排现场验收日期（今天到一年以内）。",
    ),
    Move.ACCEPT: (
        serializers.AcceptInputSerializer,
        "城市管理员确认验收通过：全部核查项通过，且完工以来有经现场评定员确认的改造后评测，"
        "等级不低于验收要求（2 级）。",
    ),
    Move.FAIL_ACCEPTANCE: (
        serializers.FailAcceptanceInputSerializer,
        "城市管理员确认验收未通过，写明整改事项并记录核查结果；项目可再申请验收一次。",
    ),
    Move.APPROVE_SUBSIDY: (
        serializers.ApproveSubsidyInputSerializer,
        "城市管理员核定奖补金额，分中央资金和地方资金，合计大于 0 且不超过按本市奖补政策"
        "可获得的上限。",
    ),
    Move.PAY_SUBSIDY: (
        serializers.PaySubsidyInputSerializer,
        "城市管理员记录奖补拨付，中央与地方拨付合计须等于核定金额。",
    ),
    Move.WITHDRAW: (
        serializers.ReasonInputSerializer,
        "项目在验收通过前退出，须写明退出原因。",
    ),
}

MOVE_RESPONSES = {
    200: serializers.ProjectDetailSerializer,
    409: OpenApiResponse(ErrorSerializer, description="项目当前所处阶段不允许此操作（说明原因）"),
}


def _move_action(move: Move) -> Any:
    """The POST action for one move: parse its input, then `pipeline.perform` decides."""
    payload_class, description = MOVES[move]

    def act(self: ProjectViewSet, request: Request, pk: str) -> Response:
        return self.perform_move(move, payload_class, pk)

    act.__name__ = act.__qualname__ = move.value
    path = serializers.move_path(move)
    routed = action(detail=True, methods=["post"], url_path=path, url_name=path)(act)
    return extend_schema(
        summary=rules.MOVE_LABELS[move],
        description=(
            f"{description}不在您范围内的项目返回 404，您的角色不能执行此操作返回 403，"
            "项目当前阶段不允许返回 409（说明原因），输入无效返回 400（指明字段）；"
            "成功时返回更新后的项目详情。"
        ),
        request=payload_class,
        responses=MOVE_RESPONSES,
    )(routed)


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
            "项目信息、各阶段日期、投资明细（是否计入奖补）、尚缺的材料、办理中的状态"
            "（合同备案审核、验收次数与核查结果、整改事项），以及您现在可以执行的操作"
            "（allowed_moves）；不在您范围内的项目返回 404。"
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
        if self.action == "list":
            return serializers.ProjectSerializer
        return serializers.ProjectDetailSerializer

    @extend_schema(
        summary="申报入库",
        description=(
            "企业为本企业申报改造项目入库，或城市管理员为本市企业录入申报（enterprise 填统一社会"
            "信用代码）；须确认全部四项资格承诺。每家企业本期试点只能申报一个项目，重复申报返回"
            " 409；不在您范围内的企业返回 404，其他角色返回 403。成功时返回新建的项目详情。"
        ),
        request=serializers.ApplyInputSerializer,
        responses={
            201: serializers.ProjectDetailSerializer,
            404: OpenApiResponse(ErrorSerializer, description="企业不存在或不在您的范围内"),
            409: OpenApiResponse(ErrorSerializer, description="该企业本期试点已申报改造项目"),
        },
    )
    def create(self, request: Request) -> Response:
        payload = serializers.ApplyInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        uscc = data.get("enterprise")
        enterprise_id = None
        if uscc:
            enterprise_id = city_selectors.enterprise_get_visible(
                user=self.request.user, uscc=uscc
            ).pk
        project = pipeline.apply(
            actor=self.request.user,
            enterprise_id=enterprise_id,
            declaration={key: bool(data.get(key)) for key in pipeline.DECLARATION},
            comment=data.get("comment", ""),
        )
        found = selectors.project_get_visible(user=self.request.user, pk=project.pk)
        return Response(self.get_serializer(found).data, status=status.HTTP_201_CREATED)

    def perform_move(
        self, move: Move, payload_class: type[StrictInputSerializer], pk: str
    ) -> Response:
        """Out of scope first (404, before the input is read), then the input's shape (400),
        then the service: role (403), stage (409), the move's own rules (400)."""
        project = self.get_object()
        payload = payload_class(data=self.request.data)
        payload.is_valid(raise_exception=True)
        moved = pipeline.perform(
            actor=self.request.user, project_id=project.pk, move=move, data=payload.validated_data
        )
        return Response(self.get_serializer(moved).data)


# One action per move, named by the move's code: POST /api/v1/projects/{id}/select-provider/ …
for _move in MOVES:
    setattr(ProjectViewSet, _move.value, _move_action(_move))


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
        return stored_upload_response(
            request,
            row,
            missing="项目材料文件不存在",
            event="project_document_download",
            document_id=row.pk,
        )
