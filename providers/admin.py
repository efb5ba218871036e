from django.contrib import admin

from .models import Provider


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["uscc", "name", "category", "contact_name", "contact_phone"]
    list_filter = ["category"]
    search_fields = ["uscc", "name"]
