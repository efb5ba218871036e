from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters

from cities import uscc

from ..models import Assessment, Method, Purpose, State


class AssessmentFilter(filters.FilterSet):
    enterprise = filters.CharFilter(method="by_uscc", label="企业统一社会信用代码")
    city = filters.CharFilter(field_name="enterprise__city__code", label="城市代码")
    purpose = filters.ChoiceFilter(choices=Purpose.choices, label="评测目的")
    method = filters.ChoiceFilter(choices=Method.choices, label="评定方式")
    state = filters.ChoiceFilter(choices=State.choices, label="状态")

    class Meta:
        model = Assessment
        fields = ["enterprise", "city", "purpose", "method", "state"]

    def by_uscc(
        self, queryset: QuerySet[Assessment], name: str, value: str
    ) -> QuerySet[Assessment]:
        return queryset.filter(enterprise__uscc=uscc.normalize(value))
