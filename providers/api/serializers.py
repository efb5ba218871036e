from __future__ import annotations

from typing import Any

from rest_framework import serializers

from assessments.api.serializers import StrictInputSerializer

from ..choices import LibraryStatus
from ..models import REASON_MAX_LENGTH, LibraryEntry, LibraryStatusChange, Product, Provider


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
