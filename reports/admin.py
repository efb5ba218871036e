from django.contrib import admin

from .models import ReportDownload, ReportJob


@admin.register(ReportJob)
class ReportJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "state",
        "progress_percent",
        "attempts",
        "requested_by",
        "created_at",
    ]
    list_filter = ["kind", "state"]
    search_fields = ["snapshot_hash", "requested_by__username"]
    readonly_fields = [*(f.name for f in ReportJob._meta.fields), "requesters"]
    list_select_related = ["requested_by"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(ReportDownload)
class ReportDownloadAdmin(admin.ModelAdmin):
    list_display = ["id", "job", "user", "at"]
    list_select_related = ["job", "user"]
    readonly_fields = ["job", "user", "at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
