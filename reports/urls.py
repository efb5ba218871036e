"""Report pages, mounted at /reports/."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("request/", views.report_request, name="report_request"),
    path("<int:pk>/", views.report_detail, name="report_detail"),
    path("<int:pk>/progress/", views.report_progress, name="report_progress"),
    path("<int:pk>/retry/", views.report_retry, name="report_retry"),
    path("<int:pk>/download/", views.report_download, name="report_download"),
]
