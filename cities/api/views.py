from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.requests import SignedInViewSet
from sme_pilot.api import CursorPagination
from sme_pilot.openapi import AutoSchema

from .. import selectors, services
from ..models import Enterprise
from . import filters, serializers


@extend_schema_view(
    list=extend_schema(
        summary="试点城市列表",
        description="您可查看的试点城市：部委用户和系统管理员为全部城市，城市用户为本市。",
    ),
    retrieve=extend_schema(
        summary="试点城市详情",
        description="按城市代码查看一个试点城市；不在您范围内的城市与不存在的城市一样返回 404。",
    ),
)
class CityViewSet(viewsets.ReadOnlyModelViewSet):
    """Pilot cities the caller may see: every city for ministry staff, their own for a city."""

    schema = AutoSchema()
    lookup_field = "code"
    # Any text reaches the view, which answers a JSON 404 (not Django's HTML page) if unknown.
    lookup_value_regex = "[^/]+"
    filterset_class = filters.CityFilter

    def get_queryset(self) -> Any:
        qs = selectors.city_list_visible_to(user=self.request.user).with_enterprise_counts()
        if self.action == "retrieve":
            qs = qs.prefetch_related("sub_industries")
        return qs.order_by("code")

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return serializers.CityDetailSerializer
        return serializers.CitySerializer


class EnterprisePagination(CursorPagination):
    ordering = "id"


@extend_schema_view(
    list=extend_schema(
        summary="企业名录",
        description="您可查看的企业（按角色限定范围），可按城市、细分行业、规上、梯度等筛选。",
    ),
    retrieve=extend_schema(
        summary="企业详情",
        description="按统一社会信用代码查看一家企业；不在您范围内的企业返回 404。",
    ),
)
class EnterpriseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    SignedInViewSet,
):
    """Enterprises in the caller's scope. PATCH changes only the fields the caller's role may."""

    schema = AutoSchema()
    lookup_field = "uscc"
    # Any text reaches the view, which answers a JSON 404 (not Django's HTML page) if unknown.
    lookup_value_regex = "[^/]+"
    serializer_class = serializers.EnterpriseSerializer
    filterset_class = filters.EnterpriseFilter
    pagination_class = EnterprisePagination
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        return selectors.enterprise_list_visible_to(user=self.request.user)

    def get_object(self) -> Enterprise:
        return selectors.enterprise_get_visible(user=self.request.user, uscc=self.kwargs["uscc"])

    @extend_schema(
        summary="修改企业信息",
        description="企业用户可改联系方式；城市管理员还可改分类信息（不能改所属城市）；"
        "系统管理员可改全部。只提交要修改的字段。",
        request=serializers.EnterpriseUpdateSerializer,
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        enterprise = self.get_object()
        data = serializers.EnterpriseUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        user = self.request.user
        services.enterprise_check_editable(actor=user, fields=changes)
        self._resolve_references(enterprise, user, changes)
        services.enterprise_update(enterprise=enterprise, actor=user, changes=changes)
        return Response(serializers.EnterpriseSerializer(enterprise).data)

    @staticmethod
    def _resolve_references(enterprise: Enterprise, user: User, changes: dict[str, Any]) -> None:
        """Turn city and sub-industry codes into objects the caller can see, or name the code."""
        if "city" in changes:
            code = changes["city"]
            city = selectors.city_list_visible_to(user=user).filter(code=code).first()
            if city is None:
                raise DjangoValidationError({"city": f"试点城市 {code} 不存在"})
            changes["city"] = city
        if "sub_industry" in changes:
            city = changes.get("city", enterprise.city)
            code = changes["sub_industry"]
            sub = city.sub_industries.filter(code=code).first()
            if sub is None:
                raise DjangoValidationError(
                    {"sub_industry": f"城市 {city.code} 没有细分行业 {code}"}
                )
            changes["sub_industry"] = sub
        if "district" in changes:
            city = changes.get("city", enterprise.city)
            name = changes["district"].strip()
            district = city.districts.filter(name=name).first() if name else None
            if name and district is None:
                raise DjangoValidationError({"district": f"城市 {city.code} 没有区县 {name}"})
            changes["district"] = district

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not kwargs.get("partial"):
            raise exceptions.MethodNotAllowed("PUT")
        return self.partial_update(request, *args, **kwargs)
