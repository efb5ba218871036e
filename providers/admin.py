from django.contrib import admin

from .models import LibraryEntry, LibraryStatusChange, Product, Provider


class ProductInline(admin.TabularInline):
    model = Product
    extra = 0
    fields = ["name", "scenes", "price_min", "price_max"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["uscc", "name", "category", "contact_name", "contact_phone"]
    list_filter = ["category"]
    search_fields = ["uscc", "name"]
    inlines = [ProductInline]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Library entries name their provider by USCC: it is fixed once the provider exists.
        return ["uscc"] if obj is not None else []


class StatusChangeInline(admin.TabularInline):
    model = LibraryStatusChange
    extra = 0
    fields = ["changed_at", "from_status", "to_status", "reason", "changed_by"]
    readonly_fields = ["changed_at", "from_status", "to_status", "reason", "changed_by"]
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(LibraryEntry)
class LibraryEntryAdmin(admin.ModelAdmin):
    list_display = ["provider", "city", "status", "status_changed_at"]
    list_filter = ["status", "city"]
    search_fields = ["provider__uscc", "provider__name"]
    list_select_related = ["provider", "city"]
    # A status changes only with a reason, through the library pages, the API or an import.
    readonly_fields = ["status", "status_changed_at"]
    raw_id_fields = ["provider"]
    inlines = [StatusChangeInline]


@admin.register(LibraryStatusChange)
class LibraryStatusChangeAdmin(admin.ModelAdmin):
    list_display = ["entry", "from_status", "to_status", "reason", "changed_by", "changed_at"]
    list_filter = ["to_status"]
    search_fields = ["entry__provider__uscc", "entry__provider__name", "reason"]
    list_select_related = ["entry__provider", "changed_by"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "provider", "price_min", "price_max"]
    search_fields = ["name", "provider__name", "provider__uscc"]
    list_select_related = ["provider"]
    raw_id_fields = ["provider"]
