"""The funds ledger in the admin: read-only. Entries are booked and reversed through the ledger
page, the API's figures and the `funds` import (the award cap and the other-uses limit are
checked there, under a lock); a booked entry is never changed or deleted, here neither."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from .models import FundsPlan, LedgerEntry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin[LedgerEntry]):
    list_display = (
        "city",
        "entry_on",
        "kind",
        "source",
        "category",
        "amount",
        "reference",
        "reverses",
        "created_by",
        "created_at",
    )
    list_filter = ("kind", "source", "category", "city")
    list_select_related = ("city", "reverses", "created_by")
    search_fields = ("reference", "city__code", "city__name")
    date_hierarchy = "entry_on"
    fields = (
        "city",
        "entry_on",
        "kind",
        "source",
        "category",
        "amount",
        "reference",
        "note",
        "reverses",
        "created_by",
        "created_at",
    )
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FundsPlan)
class FundsPlanAdmin(SimpleHistoryAdmin):
    """Read-only as well: the city official sets the plan on the ledger page (with who and
    when); the history shows every version."""

    list_display = ("city", "source", "line", "amount", "updated_by", "updated_at")
    list_filter = ("source", "line", "city")
    list_select_related = ("city", "updated_by")
    fields = ("city", "source", "line", "amount", "updated_by", "updated_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
