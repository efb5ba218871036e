"""Report API routes, mounted at /api/v1/: /api/v1/reports/, {id}/ and {id}/download/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("reports", views.ReportJobViewSet, basename="report-job")

urlpatterns = [path("", include(router.urls))]
