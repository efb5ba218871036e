"""Oversight API routes, mounted at /api/v1/: /api/v1/cities/{code}/compliance/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("cities", views.CityComplianceViewSet, basename="city")

urlpatterns = [path("", include(router.urls))]
