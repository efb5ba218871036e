"""Report pages, mounted at /reports/."""

from django.urls import path

from . import dossier_views, views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("request/", views.report_request, name="report_request"),
    path("<int:pk>/", views.report_detail, name="report_detail"),
    path("<int:pk>/progress/", views.report_progress, name="report_progress"),
    path("<int:pk>/retry/", views.report_retry, name="report_retry"),
    path("<int:pk>/download/", views.report_download, name="report_download"),
    # 一企一档批量下载
    path("dossiers/", dossier_views.dossier_archive_list, name="dossier_archive_list"),
    path(
        "dossiers/request/", dossier_views.dossier_archive_request, name="dossier_archive_request"
    ),
    path("dossiers/<int:pk>/", dossier_views.dossier_archive_detail, name="dossier_archive_detail"),
    path(
        "dossiers/<int:pk>/progress/",
        dossier_views.dossier_archive_progress,
        name="dossier_archive_progress",
    ),
    path(
        "dossiers/<int:pk>/download/",
        dossier_views.dossier_archive_download,
        name="dossier_archive_download",
    ),
]
