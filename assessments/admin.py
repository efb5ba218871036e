"""The admin for assessments' reference data, and read-only views of assessments.

Indicator revisions are immutable. A correction (a wrong point value, gate or constraint flag) is
a new revision: the add form starts from the newest revision's definition of the chosen version
(`?version=<id>`), and saving goes through `indicators.revision_create`, which validates the whole
definition. Assessments keep the revision they were scored with.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from sme_pilot.inputs import parse_id_or_none

from . import indicators
from .models import Assessment, IndicatorRevision, IndicatorVersion, PledgeText


def _newest_version() -> IndicatorVersion | None:
    return IndicatorVersion.objects.filter(revisions__isnull=False).order_by("-code").first()


def _correction_url(version: IndicatorVersion) -> str:
    return f"{reverse('admin:assessments_indicatorrevision_add')}?version={version.pk}"


@admin.register(Assessment)
class AssessmentAdmin(SimpleHistoryAdmin):
    """Read-only: assessments change only through the lifecycle services."""

    list_display = (
        "id",
        "enterprise",
        "purpose",
        "method",
        "state",
        "level",
        "total_score",
        "assessed_on",
        "revision",
        "source",
    )
    list_filter = ("state", "method", "purpose", "source", "level", "enterprise__city")
    search_fields = ("enterprise__uscc", "enterprise__name")
    list_select_related = ("enterprise", "revision", "revision__version")
    date_hierarchy = "assessed_on"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PledgeText)
class PledgeTextAdmin(admin.ModelAdmin[PledgeText]):
    """New wording is a new version; existing versions may have been signed, so they stay."""

    list_display = ("version", "created_at", "assessment_count")
    readonly_fields = ("created_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PledgeText]:
        return super().get_queryset(request).annotate(assessment_total=Count("assessments"))

    @admin.display(description="签署的评测数")
    def assessment_count(self, obj: PledgeText) -> int:
        return getattr(obj, "assessment_total", 0)

    def has_change_permission(self, request: HttpRequest, obj: PledgeText | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: PledgeText | None = None) -> bool:
        return False


@admin.register(IndicatorVersion)
class IndicatorVersionAdmin(admin.ModelAdmin[IndicatorVersion]):
    list_display = ("code", "name", "document_number", "revision_count", "correct_link")
    search_fields = ("code", "name", "document_number")

    def get_queryset(self, request: HttpRequest) -> QuerySet[IndicatorVersion]:
        return super().get_queryset(request).annotate(revision_total=Count("revisions"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Definitions name their version code; renaming it would orphan them.
        return ("code",) if obj is not None else ()

    @admin.display(description="修订数")
    def revision_count(self, obj: IndicatorVersion) -> int:
        return getattr(obj, "revision_total", 0)

    @admin.display(description="更正")
    def correct_link(self, obj: IndicatorVersion) -> str:
        return format_html('<a href="{}">新建更正修订</a>', _correction_url(obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RevisionCorrectionForm(forms.ModelForm[IndicatorRevision]):
    """Edit a copy of the current definition; saving stores it as the next revision."""

    definition = forms.CharField(
        label="指标定义（JSON）",
        widget=forms.Textarea(
            attrs={
                "rows": 40,
                "cols": 120,
                "spellcheck": "false",
                "style": "font-family: monospace",
            }
        ),
        help_text="已载入所选版本当前修订的完整定义。只改需要更正的数值，其余保持不变。",
    )
    note = forms.CharField(
        label="修订说明",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 120}),
        help_text="写明更正了什么、依据是什么，例如“2 级门槛总分 40 → 45（依据官方附件）”。",
    )

    # Set per request by IndicatorRevisionAdmin.get_form.
    actor: Any = None

    class Meta:
        model = IndicatorRevision
        fields = ("version", "definition", "note")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "version"
        ].help_text = (
            "要更正其他版本，请在“评测指标版本”列表中点“新建更正修订”，以载入该版本的当前定义。"
        )

    def clean_definition(self) -> dict[str, Any]:
        text = self.cleaned_data["definition"]
        try:
            definition = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                f"不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列附近有格式错误。"
            ) from None
        if not isinstance(definition, dict):
            raise ValidationError("指标定义应为一个 JSON 对象（以 { 开头）。")
        return definition

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        # The service validates and stores in one step; the admin view wraps this request in a
        # transaction, and a refusal here is a form error with nothing written.
        try:
            self.instance = indicators.revision_create(
                version=cleaned["version"],
                definition=cleaned["definition"],
                note=cleaned["note"].strip(),
                actor=self.actor,
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned


@admin.register(IndicatorRevision)
class IndicatorRevisionAdmin(admin.ModelAdmin[IndicatorRevision]):
    list_display = (
        "version",
        "number",
        "note",
        "created_by",
        "created_at",
        "assessment_count",
        "correct_link",
    )
    list_filter = ("version",)
    list_select_related = ("version", "created_by")
    readonly_fields = (
        "version",
        "number",
        "note",
        "created_by",
        "created_at",
        "assessment_count",
        "definition_pretty",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[IndicatorRevision]:
        return super().get_queryset(request).annotate(assessment_total=Count("assessments"))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:  # type: ignore[override]
        if obj is None:
            return ["version", "definition", "note"]
        return list(self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.readonly_fields if obj is not None else ()

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = RevisionCorrectionForm
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form = type("RevisionCorrectionFormFor", (form,), {"actor": request.user})
        return form

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        version = None
        version_id = parse_id_or_none(request.GET.get("version", ""))
        if version_id is not None:
            version = IndicatorVersion.objects.filter(pk=version_id).first()
        version = version or _newest_version()
        if version is None:
            return initial
        initial["version"] = version.pk
        current = indicators.current_revision(version.code)
        if current is not None:
            initial["definition"] = json.dumps(current.definition, ensure_ascii=False, indent=2)
        return initial

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Already stored by revision_create while the form was validated."""
        assert obj.pk is not None

    @admin.display(description="使用该修订的评测数")
    def assessment_count(self, obj: IndicatorRevision) -> int:
        total = getattr(obj, "assessment_total", None)
        return total if total is not None else obj.assessments.count()

    @admin.display(description="指标定义")
    def definition_pretty(self, obj: IndicatorRevision) -> str:
        text = json.dumps(obj.definition, ensure_ascii=False, indent=2)
        return format_html('<pre style="max-height: 40em; overflow: auto">{}</pre>', text)

    @admin.display(description="更正")
    def correct_link(self, obj: IndicatorRevision) -> str:
        return format_html('<a href="{}">基于当前修订更正</a>', _correction_url(obj.version))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
