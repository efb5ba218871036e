"""Provider library API routes, mounted at /api/v1/: /api/v1/providers/ (the library), and the
provider's own /api/v1/providers/me/ and /api/v1/providers/me/products/ (before the library's
routes, whose ids would otherwise take "me")."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("providers/me/products", views.OwnProductViewSet, basename="own-product")
router.register("providers", views.LibraryEntryViewSet, basename="library-entry")

own_provider = views.OwnProviderViewSet.as_view({"get": "retrieve", "patch": "partial_update"})

urlpatterns = [
    path("providers/me/", own_provider, name="own-provider"),
    path("", include(router.urls)),
]
