"""The admin of the performance scorecard (绩效评价): versions per batch with their indicators
inline. Weights not summing to 1, an unknown or repeated indicator, or malformed bands are
refused with a Chinese message; a version a saved `CityScore` used is read-only (a change is a
new version). Saved scores are read-only: `manage.py scorecard --save` writes them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts.models import User

from . import scorecard_rules
from .models import CityScore, Scorecard, ScorecardIndicator


class IndicatorFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return  # the rows' own errors say what is wrong first
        terms = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            terms.append(
                scorecard_rules.Term(
                    key=data["key"], weight=data.get("weight") or Decimal(0), cap=data.get("cap")
                )
            )
        errors = scorecard_rules.terms_errors(terms)
        if errors:
            raise ValidationError(errors)


UNKNOWN_INDICATOR = "未知的评价指标“%(value)s”，可选：" + "、".join(
    f"{key}（{i.label}）" for key, i in scorecard_rules.INDICATORS.items()
)


class IndicatorForm(forms.ModelForm[ScorecardIndicator]):
    class Meta:
        model = ScorecardIndicator
        fields = ("key", "weight", "cap")
        error_messages = {"key": {"invalid_choice": UNKNOWN_INDICATOR}}


class IndicatorInline(admin.TabularInline[ScorecardIndicator, Scorecard]):
    model = ScorecardIndicator
    form = IndicatorForm
    formset = IndicatorFormSet
    fields = ("key", "weight", "cap")
    extra = 0

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        return len(scorecard_rules.INDICATORS) if obj is None else 0

    def _writable(self, request: HttpRequest, obj: Any) -> bool:
        return not (isinstance(obj, Scorecard) and obj.in_use)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._writable(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._writable(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._writable(request, obj) and super().has_delete_permission(request, obj)


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin[Scorecard]):
    list_display = ("batch", "version", "label", "valid_from", "created_by", "created_at")
    list_filter = ("batch",)
    list_select_related = ("batch", "created_by")
    readonly_fields = ("created_by", "created_at")
    inlines = (IndicatorInline,)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if isinstance(obj, Scorecard) and obj.in_use:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if isinstance(obj, Scorecard) and obj.in_use:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Scorecard, form: Any, change: bool) -> None:
        if not change:
            user = getattr(request, "user", None)
            obj.created_by = user if isinstance(user, User) else None
        super().save_model(request, obj, form, change)


@admin.register(CityScore)
class CityScoreAdmin(admin.ModelAdmin[CityScore]):
    """Read-only: scores are saved by `manage.py scorecard --save` and never edited."""

    list_display = ("as_of", "city", "scorecard", "score", "rank", "band", "created_at")
    list_filter = ("as_of", "scorecard")
    list_select_related = ("city", "scorecard", "scorecard__batch")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
