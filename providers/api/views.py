from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import policy
from accounts.requests import SignedInViewSet
from sme_pilot.api import CursorPagination
from sme_pilot.inputs import BoundedJSONParser, parse_id_or_none
from sme_pilot.openapi import AutoSchema, ErrorSerializer

from .. import selectors, services
from ..models import LibraryEntry, Product
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


# --- 我的服务商: the provider's own profile and products -------------------------------------

NOT_A_PROVIDER = "非服务商用户返回 404。"
# These paths name no object, so the schema's default answers carry no 404: said here.
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="非服务商用户：不存在")


@extend_schema_view(
    retrieve=extend_schema(
        summary="我的服务商",
        description=(
            "服务商用户查看本服务商的信息：统一社会信用代码、名称、类别、联系信息，以及入库城市、"
            "在各城市服务商库中的状态和最近一次状态变更的原因。" + NOT_A_PROVIDER
        ),
        responses={200: serializers.OwnProviderSerializer, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="修改我的服务商联系信息",
        description=(
            "服务商用户修改本服务商的联系人、联系电话和联系邮箱；名称、统一社会信用代码和类别"
            "以城市服务商库为准，提交这些字段返回 400。" + NOT_A_PROVIDER
        ),
        request=serializers.ContactInputSerializer,
        responses={200: serializers.OwnProviderSerializer, 404: NOT_FOUND},
    ),
)
class OwnProviderViewSet(SignedInViewSet):
    """The signed-in provider's own profile (GET) and contacts (PATCH); anyone else: 404."""

    schema = AutoSchema()
    serializer_class = serializers.OwnProviderSerializer
    parser_classes = [BoundedJSONParser]
    pagination_class = None

    def _profile(self) -> Response:
        provider = selectors.own_provider(user=self.request.user)
        profile = {"provider": provider, "libraries": selectors.own_entries(provider)}
        return Response(serializers.OwnProviderSerializer(profile).data)

    def retrieve(self, request: Request) -> Response:
        return self._profile()

    def partial_update(self, request: Request) -> Response:
        selectors.own_provider(user=self.request.user)  # 404 before any validation
        payload = serializers.ContactInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.provider_update_contacts(actor=self.request.user, changes=payload.validated_data)
        return self._profile()


class OwnProductPagination(CursorPagination):
    ordering = "id"


@extend_schema_view(
    list=extend_schema(
        summary="我的产品列表",
        description="服务商用户查看本服务商的产品与服务（覆盖场景、价格区间）。" + NOT_A_PROVIDER,
    ),
    retrieve=extend_schema(
        summary="我的产品详情",
        description="本服务商的一项产品；其他服务商的产品返回 404。" + NOT_A_PROVIDER,
    ),
    create=extend_schema(
        summary="添加产品",
        description=(
            "服务商用户为本服务商添加产品：名称（同一服务商内不重复，重名返回 409）、覆盖场景"
            "（2024年版指标的经营场景代码，至少一个）、价格区间（元，不小于 0，最多两位小数，"
            "最低价格不高于最高价格）和简介。" + NOT_A_PROVIDER
        ),
        request=serializers.ProductInputSerializer,
        responses={
            201: serializers.ProductSerializer,
            404: NOT_FOUND,
            409: OpenApiResponse(ErrorSerializer, description="同名产品已存在"),
        },
    ),
    partial_update=extend_schema(
        summary="修改产品",
        description=(
            "修改本服务商的一项产品，只需提交要修改的字段；校验同添加产品。其他服务商的产品"
            "返回 404。" + NOT_A_PROVIDER
        ),
        request=serializers.ProductUpdateSerializer,
        responses={
            200: serializers.ProductSerializer,
            409: OpenApiResponse(ErrorSerializer, description="同名产品已存在"),
        },
    ),
    destroy=extend_schema(
        summary="删除产品",
        description="删除本服务商的一项产品；其他服务商的产品返回 404。" + NOT_A_PROVIDER,
        responses={204: None},
    ),
)
class OwnProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, SignedInViewSet):
    """The signed-in provider's products, written through the library's product services."""

    schema = AutoSchema()
    serializer_class = serializers.ProductSerializer
    pagination_class = OwnProductPagination
    parser_classes = [BoundedJSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Product.objects.none()
        return selectors.own_products(selectors.own_provider(user=self.request.user))

    def get_object(self) -> Product:
        pk = parse_id_or_none(self.kwargs["pk"])
        if pk is None:
            selectors.own_provider(user=self.request.user)  # not a provider: 404 all the same
            raise exceptions.NotFound("没有找到该产品")
        return selectors.own_product(user=self.request.user, pk=pk)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "scene_names": selectors.scene_names()}

    def _answer(self, product: Product, code: int = status.HTTP_200_OK) -> Response:
        data = serializers.ProductSerializer(product, context=self.get_serializer_context()).data
        return Response(data, status=code)

    def create(self, request: Request) -> Response:
        provider = selectors.own_provider(user=self.request.user)
        payload = serializers.ProductInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        product = services.product_add(
            actor=self.request.user,
            provider_id=provider.pk,
            data=services.ProductData(**{"description": "", **payload.validated_data}),
        )
        return self._answer(product, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        product = self.get_object()
        payload = serializers.ProductUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        current = {
            "name": product.name,
            "scenes": product.scenes,
            "price_min": product.price_min,
            "price_max": product.price_max,
            "description": product.description,
        }
        data = services.ProductData(**{**current, **payload.validated_data})
        return self._answer(
            services.product_edit(actor=self.request.user, product_id=product.pk, data=data)
        )

    def destroy(self, request: Request, pk: str) -> Response:
        product = self.get_object()
        services.product_delete(actor=self.request.user, product_id=product.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
