"""Assessment API: thin HTTP over the lifecycle services (input serializer → service → output).

Every lookup goes through `assessment_list_visible_to`, so anything outside the caller's scope is
404. An assessment the caller can see but may not act on (a city official, the ministry, an
enterprise on an on-site assessment) is 403. Levels, scores, methods, states and confirmations are
never taken from a request: naming one is a 400 that says so.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, views
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from accounts import policy
from accounts.requests import SignedInViewSet
from cities import selectors as city_selectors
from sme_pilot.api import CursorPagination
from sme_pilot.downloads import stored_upload_response
from sme_pilot.inputs import BoundedJSONParser, parse_id_or_none
from sme_pilot.openapi import VALIDATION_ERROR_RESPONSE, AutoSchema, ErrorSerializer

from .. import evidence, indicators, scoring, selectors, services
from ..models import Assessment, Evidence
from . import filters, serializers

# --- mapping service outcomes onto HTTP --------------------------------------------------------


def _field_name(group: str, key: str) -> str:
    """The service's name for one item of a PATCH group (see services._target)."""
    if group == "data":
        return f"{services.DATA_PREFIX}{key}"
    if group == "evidence_notes":
        return f"{services.NOTE_PREFIX}{key}"
    return key


_GROUP_LABEL = {"answers": "题目", "scenes": "场景"}


# --- assessments -------------------------------------------------------------------------------


_MAX_ID = 2**63  # BigAutoField; a larger number in the URL is simply not found


class AssessmentPagination(CursorPagination):
    ordering = "-id"


class QueuePagination(CursorPagination):
    # The queue's order, newest submission first. DRF takes a tuple here; its stubs say str.
    ordering = ("-submitted_at", "-id")  # type: ignore[assignment]


_QUEUE_PURPOSES = [p.value for p in selectors.QUEUE_PURPOSES]


_CONFLICT = OpenApiResponse(serializers.AutosaveConflictSerializer, description="保存冲突")


@extend_schema_view(
    list=extend_schema(
        summary="评测列表（按角色限定范围）",
        description="企业用户为本企业的评测，城市用户为本市企业已提交的评测，部委用户为全部已提交的评测。",
    ),
    retrieve=extend_schema(
        summary="评测详情",
        description="一份评测的答题、得分、等级与状态；不在您范围内的评测返回 404。",
    ),
)
class AssessmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    SignedInViewSet,
):
    schema = AutoSchema()
    filterset_class = filters.AssessmentFilter
    pagination_class = AssessmentPagination
    parser_classes = [BoundedJSONParser]
    http_method_names = ["get", "post", "patch", "head", "options"]
    # Any text reaches the view, which answers a JSON 404 (not Django's HTML page) for a non-id.
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> Any:
        return selectors.assessment_list_visible_to(user=self.request.user)

    def get_object(self) -> Assessment:
        return self._visible(self.kwargs["pk"])

    def _visible(self, pk: object) -> Assessment:
        """One assessment inside the caller's scope, with what its detail shows; else 404."""
        text = str(pk)
        found = None
        if text.isascii() and text.isdigit() and int(text) < _MAX_ID:
            found = (
                self.get_queryset()
                .select_related("pledge_text", "returned_by")
                .filter(pk=int(text))
                .first()
            )
        if found is None:
            raise exceptions.NotFound("没有找到该评测")
        return found

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "list":
            return serializers.AssessmentListSerializer
        return serializers.AssessmentDetailSerializer

    def _detail(self, assessment_id: int, *, code: int = status.HTTP_200_OK) -> Response:
        body = serializers.AssessmentDetailSerializer(self._visible(assessment_id)).data
        return Response(body, status=code)

    @extend_schema(
        summary="新建评测",
        description=(
            "企业用户新建本企业的自评（可省略 enterprise）；现场评定员为本市企业新建现场评定"
            "（目的为改造前或改造后），并以企业最近提交的同一目的自评预填。"
        ),
        request=serializers.AssessmentCreateSerializer,
        responses={
            201: serializers.AssessmentDetailSerializer,
            404: OpenApiResponse(ErrorSerializer, description="企业不存在或不在您的权限范围内"),
        },
    )
    def create(self, request: Request) -> Response:
        payload = serializers.AssessmentCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        actor = self.request.user
        uscc = payload.validated_data.get("enterprise")
        if uscc:
            enterprise = city_selectors.enterprise_get_visible(user=actor, uscc=uscc)
        elif policy.has(actor, policy.Ability.SELF_ASSESS) and actor.enterprise is not None:
            enterprise = actor.enterprise
        elif policy.has(actor, policy.Ability.ASSESS_ONSITE):
            raise DjangoValidationError({"enterprise": "请填写企业的统一社会信用代码。"})
        else:
            raise DjangoPermissionDenied("只有企业用户和现场评定员可以新建评测。")
        assessment = services.assessment_create(
            actor=actor, enterprise=enterprise, purpose=payload.validated_data["purpose"]
        )
        return self._detail(assessment.pk, code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="保存答题（自动保存）",
        description=(
            "逐项保存 answers、scenes、data、evidence_notes；任何一项冲突或无效时整个请求不写入。"
            "base_version 为客户端上次看到的 edit_version。"
        ),
        request=serializers.AssessmentPatchSerializer,
        responses={200: serializers.AssessmentPatchResultSerializer, 409: _CONFLICT},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        assessment = self.get_object()
        payload = serializers.AssessmentPatchSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        base_version = payload.validated_data["base_version"]
        items = self._autosave_items(assessment, payload.validated_data)
        actor = self.request.user
        results: list[services.AutosaveResult] = []
        try:
            with transaction.atomic():
                for field_name, value in items:
                    results.append(
                        services.assessment_autosave(
                            actor=actor,
                            assessment_id=assessment.pk,
                            field_name=field_name,
                            value=value,
                            base_version=base_version,
                        )
                    )
        except services.AutosaveConflict as exc:
            # Returned, not raised: DRF would turn `current` (a list, a number, null) into text.
            body = {"detail": str(exc), "field": exc.field, "current": exc.current}
            return Response(body, status=status.HTTP_409_CONFLICT)
        result = results[-1]
        body = dict(serializers.AssessmentDetailSerializer(self._visible(assessment.pk)).data)
        body["answered"] = result.answered
        body["total_items"] = result.total_items
        body["messages"] = [{"field": m.field, "message": m.message} for m in result.messages]
        return Response(body)

    @staticmethod
    def _autosave_items(assessment: Assessment, data: dict[str, Any]) -> list[tuple[str, Any]]:
        """(service field name, value) pairs; a scene sent as an answer (or the reverse) is
        named, not silently rerouted. Unknown codes are left for the service to name."""
        other_group: dict[str, set[str]] = {"answers": set(), "scenes": set()}
        if assessment.revision is not None:
            indicator = indicators.indicator_for(assessment.revision)
            other_group["answers"] = {s.code for s in indicator.scenes}
            other_group["scenes"] = {q.code for q in indicator.questions}
        items: list[tuple[str, Any]] = []
        errors: dict[str, str] = {}
        for group in ("answers", "scenes", "data", "evidence_notes"):
            for key, value in (data.get(group) or {}).items():
                if key in other_group.get(group, ()):
                    errors[key] = f"{key} 不是{_GROUP_LABEL[group]}，不能放在 {group} 中。"
                    continue
                items.append((_field_name(group, key), value))
        if errors:
            raise exceptions.ValidationError(errors)
        return items

    @extend_schema(
        summary="提交自评（含真实性承诺）",
        description="企业用户提交本企业的自评草稿，须填写签署人姓名、职务并确认真实性承诺；"
        "提交后不能再修改。",
        request=serializers.SubmitSerializer,
        responses={200: serializers.AssessmentDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        assessment = self.get_object()
        payload = serializers.SubmitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.assessment_submit(
            actor=self.request.user,
            assessment_id=assessment.pk,
            signer_name=payload.validated_data["signer_name"],
            signer_title=payload.validated_data["signer_title"],
            pledge_accepted=payload.validated_data["pledge_accepted"],
        )
        return self._detail(assessment.pk)

    @extend_schema(
        summary="待评定列表（现场评定员）",
        description=(
            "本市企业已提交、等待现场评定的改造前和改造后自评，按提交时间从新到旧；每家企业同一"
            "目的只列最近提交的一份，该自评提交后确认了同一目的的现场评定即移出，被退回的不列出。"
            "仅现场评定员可用，其他角色返回 404。"
        ),
        parameters=[
            OpenApiParameter(
                "purpose", str, enum=_QUEUE_PURPOSES, description="评定目的（省略为全部）"
            )
        ],
        responses={
            200: serializers.QueueItemSerializer(many=True),
            404: OpenApiResponse(ErrorSerializer, description="不是现场评定员"),
        },
    )
    @action(detail=False, methods=["get"], pagination_class=QueuePagination, filterset_class=None)
    def queue(self, request: Request) -> Response:
        actor = self.request.user
        if not policy.has(actor, policy.Ability.ASSESS_ONSITE):
            raise exceptions.NotFound("没有找到该页面")
        purpose = request.query_params.get("purpose", "")
        if purpose not in ("", *_QUEUE_PURPOSES):
            raise exceptions.ValidationError(
                {"purpose": ["评定目的：请选择 baseline（改造前）或 post（改造后）。"]}
            )
        rows = selectors.onsite_queue_visible_to(user=actor, purpose=purpose or None)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(serializers.QueueItemSerializer(page, many=True).data)

    @extend_schema(
        summary="确认现场评定",
        description="本市现场评定员确认现场评定结果；确认后即为企业当前等级，不能再修改（只能更正）。",
        request=None,
        responses={200: serializers.AssessmentDetailSerializer, 400: VALIDATION_ERROR_RESPONSE},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        assessment = self.get_object()
        serializers.EmptySerializer(data=request.data or {}).is_valid(raise_exception=True)
        services.assessment_confirm(actor=self.request.user, assessment_id=assessment.pk)
        return self._detail(assessment.pk)

    @extend_schema(
        summary="退回自评",
        description="本市现场评定员把已提交的自评退回企业修改，须写明退回原因。",
        request=serializers.ReturnSerializer,
        responses={200: serializers.AssessmentDetailSerializer},
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str) -> Response:
        assessment = self.get_object()
        payload = serializers.ReturnSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.assessment_return(
            actor=self.request.user,
            assessment_id=assessment.pk,
            comment=payload.validated_data["comment"],
        )
        return self._detail(assessment.pk)

    @extend_schema(
        summary="更正已确认的现场评定",
        description="新建一份取代原评定的现场评定草稿；原评定保持不变。",
        request=None,
        responses={201: serializers.AssessmentDetailSerializer, 400: VALIDATION_ERROR_RESPONSE},
    )
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: str) -> Response:
        assessment = self.get_object()
        serializers.EmptySerializer(data=request.data or {}).is_valid(raise_exception=True)
        correction = services.assessment_correct(actor=self.request.user, assessment=assessment)
        return self._detail(correction.pk, code=status.HTTP_201_CREATED)


# --- scoring preview ---------------------------------------------------------------------------

_EXAMPLE_DOCUMENT = {
    "indicator_version": "2024",
    "answers": {
        "Q1": ["B", "D"],
        "Q2": "C",
        "Q3": "B",
        "Q4": ["F", "G", "N"],
        "Q5": "C",
        "Q6": ["B"],
        "Q7": ["A"],
        "Q8": "D",
        "Q9": ["B", "C"],
        "Q10": ["B", "D"],
        "Q11": "B",
        "Q12": "B",
        "Q13": "C",
        "Q14": "C",
        "Q15": "B",
    },
    "scenes": {
        "S01": 2,
        "S02": 1,
        "S03": 2,
        "S04": 0,
        "S05": 1,
        "S06": 2,
        "S07": 2,
        "S08": 1,
        "S09": 2,
        "S10": 1,
        "S11": 2,
        "S12": 1,
        "S13": 3,
        "S14": 1,
        "S15": 2,
        "S16": 0,
    },
    "data": {"equipment_total": 120, "equipment_digital": 30},
}
_EXAMPLE_RESULT = {
    "valid": True,
    "indicator_version": "2024",
    "total": "44.975",
    "dimensions": {"foundation": "16.850", "management": "13.125", "outcomes": "15.000"},
    "scenes_at_or_above": {"1": 14, "2": 8, "3": 1, "4": 0},
    "constraint_scenes_at_or_above": {"1": 10, "2": 7, "3": 1, "4": 0},
    "level": 2,
    "next_level": {
        "level": 3,
        "points_short": "15.025",
        "scenes_short": 7,
        "constraint_scenes_short": 4,
        "fewest_changes": 10,
    },
}


class ScoringPreviewView(views.APIView):
    """Score one answer document (docs/rules.md §3.1) against the newest indicator revisions."""

    schema = AutoSchema()
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="scoring_preview",
        summary="评测试算",
        description=(
            "请求体为一份答题文档（docs/rules.md §3.1），按各评测指标版本的最新修订计算得分与等级；"
            "不保存任何数据。文档有误时返回 400，列出每一处问题。"
        ),
        request=serializers.AnswerDocumentSerializer,
        responses={
            200: serializers.ScoringResultSerializer,
            400: OpenApiResponse(
                serializers.ScoringInvalidSerializer, description="文档无效，errors 列出每一处问题"
            ),
        },
        examples=[
            OpenApiExample("示例答题文档", value=_EXAMPLE_DOCUMENT, request_only=True),
            OpenApiExample(
                "示例结果", value=_EXAMPLE_RESULT, response_only=True, status_codes=["200"]
            ),
            OpenApiExample(
                "无效文档",
                value={"valid": False, "errors": [{"field": "Q1", "message": "缺少题目 Q1"}]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        try:
            document: Any = request.data
        except exceptions.ParseError:
            document = None  # not JSON at all: answered in the same shape as any invalid document
        result = scoring.evaluate_document(document, indicators.current_indicators())
        code = status.HTTP_200_OK if result.get("valid") else status.HTTP_400_BAD_REQUEST
        return Response(result, status=code)


# --- evidence files (佐证材料) -------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="评测的佐证材料列表",
        description=(
            "一份评测各题目的佐证材料；能查看该评测的用户均可查看，不在您范围内的评测返回 404。"
        ),
    ),
    retrieve=extend_schema(
        summary="佐证材料详情",
        description="一个佐证材料的题目、原文件名、类型、大小、SHA-256、上传人与时间。",
    ),
)
class EvidenceViewSet(SignedInViewSet):
    """Evidence files of one assessment: the same services and limits as the questionnaire page.
    Uploads are multipart (the only body here); everything else has none."""

    schema = AutoSchema()
    serializer_class = serializers.EvidenceSerializer
    parser_classes = [MultiPartParser]
    pagination_class = None

    def _assessment(self) -> Assessment:
        pk = parse_id_or_none(self.kwargs["assessment_pk"])
        if pk is None:
            raise exceptions.NotFound("没有找到该评测")
        return selectors.assessment_get_visible(user=self.request.user, pk=pk)

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator, without a request
            return Evidence.objects.none()
        return selectors.evidence_list_visible_to(user=self.request.user).filter(
            assessment=self._assessment()
        )

    def get_object(self) -> Evidence:
        pk = parse_id_or_none(self.kwargs["pk"])
        found = None if pk is None else self.get_queryset().filter(pk=pk).first()
        if found is None:
            raise exceptions.NotFound("没有找到该佐证材料")
        return found

    def list(self, request: Request, assessment_pk: str) -> Response:
        rows = self.get_queryset().order_by("item", "uploaded_at", "id")
        return Response(self.get_serializer(rows, many=True).data)

    def retrieve(self, request: Request, assessment_pk: str, pk: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="上传佐证材料",
        description=(
            "为一道题目或一个场景上传一个 JPG、PNG 图片或 PDF 文件（按内容识别），"
            "单个文件、每题和每份评测的数量均有上限；只有可修改该评测答题的用户在评测可修改时可以上传。"
        ),
        request={"multipart/form-data": serializers.EvidenceUploadSerializer},
        responses={201: serializers.EvidenceSerializer, 400: VALIDATION_ERROR_RESPONSE},
    )
    def create(self, request: Request, assessment_pk: str) -> Response:
        assessment = self._assessment()
        payload = serializers.EvidenceUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        row = services.evidence_add(
            actor=self.request.user,
            assessment_id=assessment.pk,
            item=payload.validated_data["item"],
            upload=payload.validated_data["file"],
        )
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="删除佐证材料",
        description="评测可修改时，可修改其答题的用户可以删除佐证材料；文件随之删除。",
        request=None,
        responses={204: None},
    )
    def destroy(self, request: Request, assessment_pk: str, pk: str) -> Response:
        row = self.get_object()
        services.evidence_delete(
            actor=self.request.user, assessment_id=row.assessment_id, evidence_id=row.pk
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="下载佐证材料",
        description="以附件形式下载原文件（原文件名、识别出的类型），不在您范围内的评测返回 404。",
        responses={(200, kind): OpenApiTypes.BINARY for kind in evidence.CONTENT_TYPES},
    )
    def download(self, request: Request, assessment_pk: str, pk: str) -> HttpResponseBase:
        row = self.get_object()
        return stored_upload_response(
            request,
            row,
            missing="佐证材料文件不存在",
            event="evidence_download",
            evidence_id=row.pk,
        )
