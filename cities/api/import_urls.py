"""Import API routes, mounted at /api/v1/: /api/v1/imports/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .imports import ImportJobViewSet

router = SimpleRouter()
router.register("imports", ImportJobViewSet, basename="import-job")

urlpatterns = [path("", include(router.urls))]
