"""Provider library API routes, mounted at /api/v1/: /api/v1/providers/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("providers", views.LibraryEntryViewSet, basename="library-entry")

urlpatterns = [path("", include(router.urls))]
