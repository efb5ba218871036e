"""Import pages, mounted at /imports/."""

from django.urls import path

from .views import imports

urlpatterns = [
    path("", imports.import_list, name="import_list"),
    path("<int:pk>/", imports.import_detail, name="import_detail"),
    path("<int:pk>/confirm/", imports.import_confirm, name="import_confirm"),
    path("<int:pk>/progress/", imports.import_progress, name="import_progress"),
]
