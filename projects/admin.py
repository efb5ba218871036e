from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import User

from .models import ProjectDocument, ProviderEvaluation, ProviderScoring, SubsidyRule
from .services import subsidy_rules as services


class SubsidyRuleForm(forms.ModelForm[SubsidyRule]):
    class Meta:
        model = SubsidyRule
        fields = [
            "city",
            "valid_from",
            "valid_to",
            "rate",
            "cap_l2",
            "cap_l3",
            "cap_l4",
            "min_level",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            rule = self.instance
            for name, value in cleaned.items():
                setattr(rule, name, value)
            message = services.overlap_error(rule)
            if message is not None:
                self.add_error("valid_from", message)
        return cleaned


@admin.register(SubsidyRule)
class SubsidyRuleAdmin(SimpleHistoryAdmin):
    form = SubsidyRuleForm
    list_display = (
        "city",
        "valid_from",
        "valid_to",
        "rate",
        "cap_l2",
        "cap_l3",
        "cap_l4",
        "min_level",
        "created_by",
        "created_at",
    )
    list_filter = ("city__batch",)
    search_fields = ("city__code", "city__name")
    list_select_related = ("city", "created_by")
    autocomplete_fields = ("city",)
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request: HttpRequest, obj: SubsidyRule, form: Any, change: bool) -> None:
        # The same service as the import: the overlap check under a lock on the city row.
        user = getattr(request, "user", None)
        services.save_rule(obj, actor=user if isinstance(user, User) else None)


@admin.register(ProjectDocument)
class ProjectDocumentAdmin(admin.ModelAdmin[ProjectDocument]):
    """Read-only: documents come and go through the project pages (documents service: content
    checks, the stored file, the project's history); the admin only looks. The file itself is
    not shown (it is private, downloaded through the permission-checked view)."""

    list_display = (
        "id",
        "project",
        "enterprise",
        "stage",
        "doc_type",
        "original_name",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    )
    list_filter = ("stage", "doc_type", "project__enterprise__city")
    list_select_related = ("project", "project__enterprise", "uploaded_by")
    search_fields = ("original_name", "sha256", "project__enterprise__uscc")
    date_hierarchy = "uploaded_at"
    fields = (
        "project",
        "stage",
        "doc_type",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    )
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="企业", ordering="project__enterprise__name")
    def enterprise(self, obj: ProjectDocument) -> str:
        return obj.project.enterprise.name

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProviderScoring)
class ProviderScoringAdmin(admin.ModelAdmin[ProviderScoring]):
    """Versions of the provider evaluation's parameters. A version an evaluation has used is
    read-only here (and `ProviderScoring.clean` refuses a change): a new policy is a new row.
    A weight set not summing to 1 is refused by the named check constraint, with its message."""

    list_display = (
        "version",
        "label",
        "valid_from",
        "w_acceptance",
        "w_uplift",
        "w_satisfaction",
        "w_on_time",
        "uplift_cap",
        "band_5",
        "band_4",
        "band_3",
        "band_2",
        "min_outcomes",
        "created_by",
        "created_at",
    )
    list_select_related = ("created_by",)
    readonly_fields = ("created_by", "created_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if isinstance(obj, ProviderScoring) and obj.in_use:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if isinstance(obj, ProviderScoring) and obj.in_use:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: ProviderScoring, form: Any, change: bool
    ) -> None:
        if not change:
            user = getattr(request, "user", None)
            obj.created_by = user if isinstance(user, User) else None
        super().save_model(request, obj, form, change)


@admin.register(ProviderEvaluation)
class ProviderEvaluationAdmin(admin.ModelAdmin[ProviderEvaluation]):
    """Read-only: evaluations are saved by `manage.py provider_scores --save` and never edited."""

    list_display = (
        "city",
        "provider",
        "as_of",
        "scoring",
        "status",
        "projects",
        "accepted",
        "failed",
        "acceptance_rate",
        "mean_uplift",
        "mean_satisfaction",
        "on_time_rate",
        "score",
        "stars",
        "created_at",
    )
    list_filter = ("scoring", "city__batch")
    list_select_related = ("city", "provider", "scoring")
    search_fields = ("provider__uscc", "provider__name", "city__code")
    date_hierarchy = "as_of"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
