from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..models import Enterprise, PilotCity, QualityTier, SizeClass, SubIndustry


class SubIndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = SubIndustry
        fields = ["code", "name"]


class CitySerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province.name")
    region = serializers.CharField(source="province.region")
    batch_year = serializers.IntegerField(source="batch.year")
    pilot_end_date = serializers.DateField(read_only=True)
    award_cap_wan = serializers.IntegerField(read_only=True)
    enterprise_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PilotCity
        fields = [
            "code",
            "name",
            "province",
            "region",
            "batch_year",
            "city_type",
            "plan_approved_on",
            "pilot_end_date",
            "award_cap_wan",
            "enterprise_count",
        ]


class CityDetailSerializer(CitySerializer):
    sub_industries = SubIndustrySerializer(many=True, read_only=True)

    class Meta(CitySerializer.Meta):
        fields = [*CitySerializer.Meta.fields, "sub_industries"]


class EnterpriseSerializer(serializers.ModelSerializer):
    city: serializers.SlugRelatedField[PilotCity] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    sub_industry: serializers.SlugRelatedField[SubIndustry] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    sub_industry_name = serializers.CharField(source="sub_industry.name", read_only=True)
    district: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True, help_text="区县名称"
    )
    # Declared for the schema: a read-only model field loses allow_blank, and "" is no email.
    contact_email = serializers.EmailField(read_only=True, allow_blank=True)

    class Meta:
        model = Enterprise
        fields = [
            "uscc",
            "name",
            "city",
            "sub_industry",
            "sub_industry_name",
            "district",
            "above_scale",
            "quality_tier",
            "size_class",
            "contact_name",
            "contact_phone",
            "contact_email",
            "address",
            "updated_at",
        ]
        read_only_fields = fields


class EnterpriseUpdateSerializer(serializers.Serializer):
    """Input for PATCH: which of these a caller may change is the service's decision."""

    strict_input = True  # for the API schema (sme_pilot.openapi.AutoSchema)

    name = serializers.CharField(max_length=200, required=False)
    city = serializers.CharField(max_length=20, required=False)
    sub_industry = serializers.CharField(max_length=30, required=False)
    district = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text="本市区县名称；空为不填"
    )
    above_scale = serializers.BooleanField(required=False)
    quality_tier = serializers.ChoiceField(choices=QualityTier.choices, required=False)
    size_class = serializers.ChoiceField(choices=SizeClass.choices, required=False)
    contact_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    contact_email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({f: "未知字段" for f in unknown})
        return attrs
