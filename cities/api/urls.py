from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("cities", views.CityViewSet, basename="city")
router.register("enterprises", views.EnterpriseViewSet, basename="enterprise")

urlpatterns = [
    path("", include(router.urls)),
    path("", include("cities.api.import_urls")),
]
