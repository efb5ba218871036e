"""A city's figures over the API: /api/v1/cities/{code}/compliance/ (the "应改尽改" rule),
/api/v1/cities/{code}/funnel/ (the project funnel, computed by `projects.selectors`) and
/api/v1/cities/{code}/funds/ (the funds ledger's figures, computed by `funds.selectors`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import policy
from cities import selectors
from funds.selectors import city_funds
from projects.selectors.funnel import city_funnel
from sme_pilot.db import replica_reads
from sme_pilot.inputs import AsOfError, parse_as_of
from sme_pilot.openapi import AutoSchema

from ..compliance import to_json
from ..selectors.compliance import city_compliance


class CityComplianceViewSet(viewsets.GenericViewSet):
    """Compliance and funnel of a pilot city the caller may see (city officials, ministry,
    admins)."""

    schema = AutoSchema()
    lookup_field = "code"
    # Any text reaches the view, which answers a JSON 404 (not Django's HTML page) if unknown.
    lookup_value_regex = "[^/]+"
    filterset_class = None
    pagination_class = None

    def get_queryset(self) -> Any:
        return selectors.city_list_visible_to(user=self.request.user).order_by("code")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "as_of", OpenApiTypes.DATE, description="统计截至日期（默认今天，不能晚于今天）"
            )
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="城市达标情况（应改尽改）",
        description="按“应改尽改”规则计算的达标情况（docs/rules.md §3.3）。",
    )
    @action(detail=True, methods=["get"])
    @replica_reads()
    def compliance(self, request: Request, code: str | None = None) -> Response:
        if not policy.sees_dashboards(request.user):
            raise exceptions.NotFound("没有找到该试点城市")
        city = self.get_object()
        try:
            as_of = parse_as_of(request.query_params.get("as_of"))
        except AsOfError as exc:
            raise exceptions.ValidationError({"as_of": [str(exc)]}) from None
        return Response(to_json(city_compliance(city=city, as_of=as_of)))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "as_of", OpenApiTypes.DATE, description="统计截至日期（默认今天，不能晚于今天）"
            )
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="城市改造项目漏斗",
        description=(
            "截至统计日期各阶段的项目数、未入库/退出/验收未通过数、逾期数，"
            "以及每个细分行业的各阶段项目数（docs/rules.md §4.6）。"
        ),
    )
    @action(detail=True, methods=["get"])
    @replica_reads()
    def funnel(self, request: Request, code: str | None = None) -> Response:
        if not policy.sees_dashboards(request.user):
            raise exceptions.NotFound("没有找到该试点城市")
        city = self.get_object()
        try:
            as_of = parse_as_of(request.query_params.get("as_of"))
        except AsOfError as exc:
            raise exceptions.ValidationError({"as_of": [str(exc)]}) from None
        return Response(city_funnel(city=city, as_of=as_of))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "as_of", OpenApiTypes.DATE, description="统计截至日期（默认今天，不能晚于今天）"
            )
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="城市资金台账汇总",
        description=(
            "截至统计日期的中央资金到位与各类支出、地方资金到位与支出、数字化改造占比与其他用途"
            "占比（四位小数，未到位时为 null）、是否在上限内与是否达到改造比例、奖补核定与拨付"
            "（docs/rules.md §4.6）。已拨付的奖补按资金来源计入数字化改造支出。"
        ),
    )
    @action(detail=True, methods=["get"])
    @replica_reads()
    def funds(self, request: Request, code: str | None = None) -> Response:
        if not policy.sees_dashboards(request.user):
            raise exceptions.NotFound("没有找到该试点城市")
        city = self.get_object()
        try:
            as_of = parse_as_of(request.query_params.get("as_of"))
        except AsOfError as exc:
            raise exceptions.ValidationError({"as_of": [str(exc)]}) from None
        return Response(city_funds(city=city, as_of=as_of))
