from django.contrib import admin

from .models import DossierArchive, ReportDownload, ReportJob, ReportSettings


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


@admin.register(ReportSettings)
class ReportSettingsAdmin(admin.ModelAdmin):
    """The one settings row: edited, never added twice or deleted."""

    list_display = ["__str__", "national_issuer", "updated_at"]
    fields = ["national_issuer"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return not ReportSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        obj.pk = 1
        super().save_model(request, obj, form, change)


@admin.register(DossierArchive)
class DossierArchiveAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "city",
        "district",
        "enterprise_count",
        "state",
        "progress_percent",
        "attempts",
        "requested_by",
        "created_at",
    ]
    list_filter = ["state"]
    search_fields = ["requested_by__username", "city__name"]
    readonly_fields = [f.name for f in DossierArchive._meta.fields]
    list_select_related = ["city", "district", "requested_by"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
