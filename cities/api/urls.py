from django.urls import include, path
from rest_framework.routers import DefaultRouter, SimpleRouter

from . import views
from .imports import ImportJobViewSet

router = DefaultRouter()
router.register("cities", views.CityViewSet, basename="city")
router.register("enterprises", views.EnterpriseViewSet, basename="enterprise")

# Import jobs (/api/v1/imports/), without the API root view a second router would add.
import_router = SimpleRouter()
import_router.register("imports", ImportJobViewSet, basename="import-job")

urlpatterns = [
    path("", include(router.urls)),
    path("", include(import_router.urls)),
]
