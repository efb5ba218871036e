"""Project pages."""

from django.urls import path

from . import directory_views, league_views, pipeline_views, sample_views, views

app_name = "projects"

urlpatterns = [
    path("cities/<str:code>/subsidy-policy/", views.subsidy_policy, name="subsidy_policy"),
    path("projects/", views.project_list, name="project_list"),
    path("projects/export.xlsx", views.project_export, name="project_export"),
    path("projects/samples/", sample_views.sample_list, name="samples"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/sample/", sample_views.sample_mark, name="sample_mark"),
    path("projects/<int:pk>/sample/remove/", sample_views.sample_unmark, name="sample_unmark"),
    path("projects/<int:pk>/documents/", views.document_upload, name="document_upload"),
    path(
        "projects/<int:pk>/documents/<int:document_id>/download/",
        views.document_download,
        name="document_download",
    ),
    path(
        "projects/<int:pk>/documents/<int:document_id>/delete/",
        views.document_delete,
        name="document_delete",
    ),
    path("projects/<int:pk>/move/<str:move>/", pipeline_views.project_move, name="project_move"),
    path("projects/apply/", pipeline_views.project_apply, name="project_apply"),
    path("projects/queue/", pipeline_views.work_queue, name="work_queue"),
    path("my-project/", views.my_project, name="my_project"),
    path("providers/league/", league_views.provider_league, name="provider_league"),
    path("provider-workspace/", league_views.provider_workspace, name="provider_workspace"),
    path("provider-directory/", directory_views.provider_directory, name="directory"),
]
