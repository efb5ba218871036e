from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from ..choices import LibraryStatus, ProviderCategory
from ..models import LibraryEntry


class LibraryEntryFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=LibraryStatus.choices, label="状态")
    category = filters.ChoiceFilter(
        field_name="provider__category", choices=ProviderCategory.choices, label="类别"
    )
    city = filters.CharFilter(field_name="city__code", max_length=20, label="城市代码")
    q = filters.CharFilter(method="search", max_length=100, label="按名称或统一社会信用代码搜索")

    class Meta:
        model = LibraryEntry
        fields = ["status", "category", "city", "q"]

    def search(
        self, queryset: QuerySet[LibraryEntry], name: str, value: str
    ) -> QuerySet[LibraryEntry]:
        value = value.strip()
        return queryset.filter(Q(provider__name__icontains=value) | Q(provider__uscc=value.upper()))
