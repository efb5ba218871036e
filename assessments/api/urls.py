"""Assessment API routes, mounted at /api/v1/: /api/v1/assessments/, /api/v1/scoring/preview/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("assessments", views.AssessmentViewSet, basename="assessment")

urlpatterns = [
    path("scoring/preview/", views.ScoringPreviewView.as_view(), name="scoring-preview"),
    path("", include(router.urls)),
]
