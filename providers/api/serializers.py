from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from assessments.api.serializers import StrictInputSerializer

from ..choices import LibraryStatus
from ..models import (
    DESCRIPTION_MAX_LENGTH,
    PRICE_MAX,
    PRICE_MAX_DIGITS,
    REASON_MAX_LENGTH,
    LibraryEntry,
    LibraryStatusChange,
    Product,
    Provider,
)


class ProductSerializer(serializers.ModelSerializer[Product]):
    scenes = serializers.SerializerMethodField(help_text="覆盖的数字化经营场景（代码与名称）")

    class Meta:
        model = Product
        fields = ["id", "name", "scenes", "price_min", "price_max", "description"]

    def get_scenes(self, product: Product) -> list[dict[str, str]]:
        names: dict[str, str] = self.context.get("scene_names", {})
        return [{"code": code, "name": names.get(code, "")} for code in product.scenes]


class ProviderSerializer(serializers.ModelSerializer[Provider]):
    category_label = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = Provider
        fields = [
            "uscc",
            "name",
            "category",
            "category_label",
            "contact_name",
            "contact_phone",
            "contact_email",
        ]


class StatusChangeSerializer(serializers.ModelSerializer[LibraryStatusChange]):
    changed_by = serializers.SerializerMethodField(help_text="操作人（导入命令为空）")

    class Meta:
        model = LibraryStatusChange
        fields = ["from_status", "to_status", "reason", "changed_by", "changed_at"]

    def get_changed_by(self, change: LibraryStatusChange) -> str | None:
        user = change.changed_by
        return None if user is None else (user.display_name or user.username)


class LibraryEntrySerializer(serializers.ModelSerializer[LibraryEntry]):
    provider = ProviderSerializer(read_only=True)
    city = serializers.CharField(source="city.code", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    products = ProductSerializer(source="provider.products", many=True, read_only=True)

    class Meta:
        model = LibraryEntry
        fields = [
            "id",
            "provider",
            "city",
            "status",
            "status_label",
            "status_changed_at",
            "products",
        ]


class LibraryEntryDetailSerializer(LibraryEntrySerializer):
    history = serializers.SerializerMethodField(
        help_text="状态变更记录，新的在前（企业用户不提供）"
    )

    class Meta(LibraryEntrySerializer.Meta):
        fields = [*LibraryEntrySerializer.Meta.fields, "history"]

    def get_history(self, entry: LibraryEntry) -> list[dict[str, Any]] | None:
        changes = self.context.get("history")
        if changes is None:
            return None
        return list(StatusChangeSerializer(changes, many=True).data)


class StatusChangeInputSerializer(StrictInputSerializer):
    """变更服务商在本市服务商库中的状态，须写明原因。"""

    forbidden_fields = frozenset()
    status = serializers.ChoiceField(choices=LibraryStatus.choices, help_text="新状态")
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH, help_text="变更原因（必填）")


# --- the provider's own profile and products (我的服务商) ------------------------------------


class OwnLibrarySerializer(serializers.ModelSerializer[LibraryEntry]):
    city = serializers.CharField(source="city.code", read_only=True, help_text="城市代码")
    city_name = serializers.CharField(source="city.name", read_only=True, help_text="城市名称")
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    reason = serializers.CharField(
        source="latest_reason", read_only=True, allow_null=True, help_text="最近一次状态变更的原因"
    )

    class Meta:
        model = LibraryEntry
        fields = ["city", "city_name", "status", "status_label", "status_changed_at", "reason"]


class OwnProviderSerializer(serializers.Serializer):
    provider = ProviderSerializer(read_only=True, help_text="本服务商的信息与联系信息")
    libraries = OwnLibrarySerializer(
        many=True, read_only=True, help_text="入库城市：各城市服务商库中的状态及最近一次变更原因"
    )


# Set by the city libraries (their import), not by the provider.
LIBRARY_OWNED_FIELDS = frozenset({"uscc", "name", "category", "category_label", "libraries"})


class ContactInputSerializer(StrictInputSerializer):
    """修改本服务商的联系信息；名称、统一社会信用代码和类别以城市服务商库为准，不能修改。"""

    forbidden_fields = frozenset()
    contact_name = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text="联系人"
    )
    contact_phone = serializers.CharField(
        max_length=30, required=False, allow_blank=True, help_text="联系电话"
    )
    contact_email = serializers.EmailField(
        max_length=254, required=False, allow_blank=True, help_text="联系邮箱"
    )

    def _refused(self, data: Any) -> dict[str, list[str]]:
        errors = super()._refused(data)
        for name in LIBRARY_OWNED_FIELDS & set(errors):
            errors[name] = ["不能修改：服务商名称、统一社会信用代码和类别以城市服务商库为准。"]
        return errors


def _price_field(label: str, required: bool) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=PRICE_MAX_DIGITS,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=PRICE_MAX,
        required=required,
        help_text=f"{label}（元），不小于 0，最多两位小数",
    )


class ProductInputSerializer(StrictInputSerializer):
    """新建产品：名称、覆盖场景（2024年版指标的经营场景代码，如 S05）、价格区间和简介。"""

    forbidden_fields = frozenset()
    name = serializers.CharField(max_length=200, help_text="产品名称，同一服务商内不重复")
    scenes = serializers.ListField(
        child=serializers.CharField(max_length=10),
        min_length=1,
        max_length=32,
        help_text='覆盖的数字化经营场景代码，如 ["S05", "S06"]',
    )
    price_min = _price_field("最低价格", required=True)
    price_max = _price_field("最高价格", required=True)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True, help_text="产品简介"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        low, high = attrs.get("price_min"), attrs.get("price_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"price_max": ["最高价格不能低于最低价格"]})
        return attrs


class ProductUpdateSerializer(ProductInputSerializer):
    """修改产品：只需提交要修改的字段，未提交的保持不变；价格区间按修改后的值校验。"""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
