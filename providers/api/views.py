from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import policy
from accounts.requests import SignedInViewSet
from sme_pilot.api import CursorPagination
from sme_pilot.inputs import BoundedJSONParser, parse_id_or_none
from sme_pilot.openapi import AutoSchema, ErrorSerializer

from .. import selectors, services
from ..models import LibraryEntry
from . import filters, serializers


class LibraryPagination(CursorPagination):
    ordering = "id"


@extend_schema_view(
    list=extend_schema(
        summary="服务商库列表",
        description=(
            "您可查看的服务商库条目及其产品：城市用户为本市服务商库，部委用户和系统管理员为全部"
            "城市，企业用户仅为本市“在库”的服务商。可按状态、类别、城市和关键字筛选。"
        ),
    ),
    retrieve=extend_schema(
        summary="服务商库条目详情",
        description=(
            "一家服务商在一个城市服务商库中的信息、产品与状态变更记录（企业用户不含变更记录）；"
            "不在您范围内的条目返回 404。"
        ),
    ),
)
class LibraryEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SignedInViewSet):
    """Library entries in the caller's scope, with their products."""

    schema = AutoSchema()
    filterset_class = filters.LibraryEntryFilter
    pagination_class = LibraryPagination
    parser_classes = [BoundedJSONParser]
    # Any text reaches the view, which answers a JSON 404 for a non-id.
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> Any:
        return selectors.with_products(selectors.library_visible_to(user=self.request.user))

    def get_object(self) -> LibraryEntry:
        pk = parse_id_or_none(self.kwargs["pk"])
        found = None if pk is None else self.get_queryset().filter(pk=pk).first()
        if found is None:
            raise exceptions.NotFound("没有找到该服务商")
        return found

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return serializers.LibraryEntrySerializer
        return serializers.LibraryEntryDetailSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "scene_names": selectors.scene_names()}

    def _detail(self, entry: LibraryEntry) -> Response:
        context = self.get_serializer_context()
        if not policy.has(self.request.user, policy.Ability.HAS_OWN_ENTERPRISE):
            context["history"] = selectors.status_history(entry)
        return Response(serializers.LibraryEntryDetailSerializer(entry, context=context).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    @extend_schema(
        summary="变更服务商状态",
        description=(
            "本市管理员变更服务商在本市服务商库中的状态（在库、警示、暂停、出库），须写明原因"
            "（不超过 500 个字符）；变更为当前状态返回 409。每次变更记入状态变更记录。"
        ),
        request=serializers.StatusChangeInputSerializer,
        responses={
            200: serializers.LibraryEntryDetailSerializer,
            409: OpenApiResponse(ErrorSerializer, description="已是该状态"),
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def status(self, request: Request, pk: str) -> Response:
        entry = self.get_object()
        payload = serializers.StatusChangeInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.library_change_status(
            actor=self.request.user,
            entry_id=entry.pk,
            to_status=payload.validated_data["status"],
            reason=payload.validated_data["reason"],
        )
        return self._detail(self.get_object())
