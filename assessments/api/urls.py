"""Assessment API routes, mounted at /api/v1/: /api/v1/assessments/ (with each one's evidence/),
/api/v1/scoring/preview/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("assessments", views.AssessmentViewSet, basename="assessment")

EVIDENCE = "assessments/<str:assessment_pk>/evidence/"

urlpatterns = [
    path("scoring/preview/", views.ScoringPreviewView.as_view(), name="scoring-preview"),
    path(
        EVIDENCE,
        views.EvidenceViewSet.as_view({"get": "list", "post": "create"}),
        name="assessment-evidence-list",
    ),
    path(
        f"{EVIDENCE}<str:pk>/",
        views.EvidenceViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
        name="assessment-evidence-detail",
    ),
    path(
        f"{EVIDENCE}<str:pk>/download/",
        views.EvidenceViewSet.as_view({"get": "download"}),
        name="assessment-evidence-download",
    ),
    path("", include(router.urls)),
]
