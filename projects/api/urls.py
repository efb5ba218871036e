"""Project API routes, mounted at /api/v1/: /api/v1/projects/ and each one's documents/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("projects", views.ProjectViewSet, basename="project")

DOCUMENTS = "projects/<str:project_pk>/documents/"

urlpatterns = [
    path("", include(router.urls)),
    path(
        DOCUMENTS,
        views.ProjectDocumentViewSet.as_view({"get": "list", "post": "create"}),
        name="project-document-list",
    ),
    path(
        f"{DOCUMENTS}<str:pk>/",
        views.ProjectDocumentViewSet.as_view({"delete": "destroy"}),
        name="project-document-detail",
    ),
    path(
        f"{DOCUMENTS}<str:pk>/download/",
        views.ProjectDocumentViewSet.as_view({"get": "download"}),
        name="project-document-download",
    ),
]
