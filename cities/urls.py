from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import registry

urlpatterns = [
    path("", registry.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", registry.PasswordChange.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("cities/", registry.city_list, name="city_list"),
    path("cities/<str:code>/", registry.city_detail, name="city_detail"),
    path("enterprises/<str:uscc>/", registry.enterprise_detail, name="enterprise_detail"),
    path("my/", registry.my_enterprise, name="my_enterprise"),
    path("imports/", include("cities.urls_imports")),
    path("accounts/", include("cities.urls_accounts")),
]
