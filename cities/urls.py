from django.urls import include, path

from .views import registry

urlpatterns = [
    path("", registry.home, name="home"),
    path("cities/", registry.city_list, name="city_list"),
    path("cities/<str:code>/", registry.city_detail, name="city_detail"),
    path("enterprises/<str:uscc>/", registry.enterprise_detail, name="enterprise_detail"),
    path("my/", registry.my_enterprise, name="my_enterprise"),
    path("imports/", include("cities.urls_imports")),
    path("accounts/", include("cities.urls_accounts")),
]
