"""The admin: reference data (batches, provinces, cities, sub-industries, enterprises, targets)
and import jobs. Accounts are in `accounts.admin`.

Models with history use SimpleHistoryAdmin, so each change page links to who changed what, when.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    CityTarget,
    District,
    Enterprise,
    ImportJob,
    PilotBatch,
    PilotCity,
    Province,
    QualityTier,
    SubIndustry,
)


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "short_name", "region")
    list_filter = ("region",)
    search_fields = ("code", "name", "short_name")


class PilotBatchForm(forms.ModelForm[PilotBatch]):
    # Tick boxes instead of raw JSON: the model stores a list of tier codes.
    counted_tiers = forms.TypedMultipleChoiceField(
        label="计入分母的梯度",
        choices=QualityTier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="除规上企业外，计入“应改尽改”分母的优质企业梯度。",
    )

    class Meta:
        model = PilotBatch
        fields = (
            "year",
            "document_number",
            "threshold",
            "min_level",
            "count_above_scale",
            "counted_tiers",
            "pilot_months",
            "award_cap_major_wan",
            "award_cap_other_wan",
            "funds_other_max_share",
            "funds_transformation_min_share",
            "acceptance_window_months",
        )


@admin.register(PilotBatch)
class PilotBatchAdmin(SimpleHistoryAdmin):
    form = PilotBatchForm
    list_display = (
        "year",
        "document_number",
        "threshold",
        "min_level",
        "count_above_scale",
        "pilot_months",
        "award_cap_major_wan",
        "award_cap_other_wan",
    )
    fieldsets = (
        (None, {"fields": ("year", "document_number")}),
        (
            "“应改尽改”达标规则",
            {"fields": ("threshold", "min_level", "count_above_scale", "counted_tiers")},
        ),
        (
            "试点期与奖补",
            {
                "fields": (
                    "pilot_months",
                    "award_cap_major_wan",
                    "award_cap_other_wan",
                    "funds_other_max_share",
                    "funds_transformation_min_share",
                    "acceptance_window_months",
                )
            },
        ),
    )


@admin.register(PilotCity)
class PilotCityAdmin(SimpleHistoryAdmin):
    list_display = (
        "code",
        "name",
        "province",
        "batch",
        "city_type",
        "plan_approved_on",
        "pilot_end",
    )
    list_filter = ("batch", "province__region", "city_type")
    search_fields = ("code", "name", "province__name")
    list_select_related = ("province", "batch")

    @admin.display(description="试点结束日期")
    def pilot_end(self, obj: PilotCity) -> Any:
        return obj.pilot_end_date


@admin.register(SubIndustry)
class SubIndustryAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "city")
    list_filter = ("city__batch",)
    search_fields = ("code", "name", "city__name", "city__code")
    list_select_related = ("city",)
    autocomplete_fields = ("city",)


@admin.register(District)
class DistrictAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "city")
    list_filter = ("city__batch",)
    search_fields = ("code", "name", "city__name", "city__code")
    list_select_related = ("city",)
    autocomplete_fields = ("city",)


@admin.register(Enterprise)
class EnterpriseAdmin(SimpleHistoryAdmin):
    list_display = (
        "uscc",
        "name",
        "city",
        "sub_industry",
        "above_scale",
        "quality_tier",
        "size_class",
    )
    list_filter = (
        "above_scale",
        "quality_tier",
        "size_class",
        "city__batch",
        "city__province__region",
    )
    search_fields = ("uscc", "name")
    list_select_related = ("city", "sub_industry")
    autocomplete_fields = ("city", "sub_industry", "district")
    readonly_fields = ("created_at", "updated_at")
    # COUNT(*) over the whole table dominates a paged list; skip it.
    show_full_result_count = False


@admin.register(CityTarget)
class CityTargetAdmin(SimpleHistoryAdmin):
    list_display = ("city", "metric", "sub_industry", "value", "due_date")
    list_filter = ("metric", "city__batch")
    search_fields = ("city__name", "city__code")
    list_select_related = ("city", "sub_industry")
    autocomplete_fields = ("city", "sub_industry")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin[ImportJob]):
    """Read-only: jobs are the record of what was imported; they change only through the service."""

    list_display = [
        "id",
        "kind",
        "original_filename",
        "city",
        "requested_by",
        "state",
        "created_count",
        "updated_count",
        "unchanged_count",
        "error_count",
        "error_rows",
        "created_at",
    ]
    list_filter = ["kind", "state", "city"]
    list_select_related = ["city", "requested_by"]
    search_fields = ["original_filename", "requested_by__username"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False
