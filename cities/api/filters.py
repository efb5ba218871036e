from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from ..models import Enterprise, PilotCity, QualityTier, SizeClass


class IntegerFilter(filters.NumberFilter):
    """A whole number; "2024.5" is a 400 (NumberFilter takes any decimal and matches nothing)."""

    field_class = forms.IntegerField


class StrictBooleanField(forms.Field):
    """true/false (any case, or 1/0); anything else is an error instead of "no filter"."""

    def to_python(self, value: Any) -> bool | None:
        text = str(value).strip().lower() if value is not None else ""
        if text == "":
            return None
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError("请填写 true 或 false", code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The raw text reaches the field: the boolean widgets turn what they cannot read into None.
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


class CityFilter(filters.FilterSet):
    batch = IntegerFilter(field_name="batch__year", label="批次年份")
    province = filters.CharFilter(method="filter_province", label="省份（全称或简称）")
    region = filters.CharFilter(field_name="province__region", label="区域")

    class Meta:
        model = PilotCity
        fields = ["batch", "province", "region", "city_type"]

    def filter_province(self, queryset: QuerySet[PilotCity], name: str, value: str) -> QuerySet:
        """The full name ("内蒙古自治区"), as every page shows it, or the short one ("内蒙古")."""
        return queryset.filter(Q(province__name=value) | Q(province__short_name=value))


class EnterpriseFilter(filters.FilterSet):
    city = filters.CharFilter(field_name="city__code", label="城市代码")
    sub_industry = filters.CharFilter(field_name="sub_industry__code", label="细分行业代码")
    district = filters.CharFilter(field_name="district__name", label="区县名称")
    above_scale = StrictBooleanFilter(label="是否规上")
    quality_tier = filters.ChoiceFilter(choices=QualityTier.choices, label="优质企业梯度")
    size_class = filters.ChoiceFilter(choices=SizeClass.choices, label="企业规模")
    q = filters.CharFilter(method="search", label="按名称或统一社会信用代码搜索")

    class Meta:
        model = Enterprise
        fields = [
            "city",
            "sub_industry",
            "district",
            "above_scale",
            "quality_tier",
            "size_class",
            "q",
        ]

    def search(self, queryset: QuerySet[Enterprise], name: str, value: str) -> QuerySet[Enterprise]:
        return queryset.search(value)  # type: ignore[attr-defined,no-any-return]
