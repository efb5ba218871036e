"""Provider library pages, mounted at /providers/."""

from django.urls import URLPattern, path

from . import views

app_name = "providers"

urlpatterns: list[URLPattern] = [
    path("", views.library_list, name="library_list"),
    path("add/", views.entry_add, name="entry_add"),
    path("<int:pk>/", views.entry_detail, name="entry_detail"),
    path("<int:pk>/status/", views.entry_status, name="entry_status"),
]
