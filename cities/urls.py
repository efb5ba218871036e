"""Registry pages, import jobs and account management of the registry."""

from django.urls import include, path

from .views import accounts, imports, registry

# Import jobs, mounted at /imports/.
import_patterns = [
    path("", imports.import_list, name="import_list"),
    path("<int:pk>/", imports.import_detail, name="import_detail"),
    path("<int:pk>/confirm/", imports.import_confirm, name="import_confirm"),
    path("<int:pk>/progress/", imports.import_progress, name="import_progress"),
    path("templates/<str:kind>/", imports.import_template, name="import_template"),
]

# Account management for city officials, mounted at /accounts/.
account_patterns = [
    path("", accounts.account_list, name="account_list"),
    path("new/", accounts.account_create, name="account_create"),
    path(
        "new/enterprises/",
        accounts.account_enterprise_search,
        name="account_enterprise_search",
    ),
    path("bulk/", accounts.account_bulk_create, name="account_bulk_create"),
    path("bulk/<str:token>/", accounts.account_bulk_result, name="account_bulk_result"),
    path(
        "bulk/<str:token>/download/",
        accounts.account_sheet_download,
        name="account_sheet_download",
    ),
    path(
        "<int:pk>/reset-password/",
        accounts.account_reset_password,
        name="account_reset_password",
    ),
    path("<int:pk>/deactivate/", accounts.account_deactivate, name="account_deactivate"),
    path("<int:pk>/reactivate/", accounts.account_reactivate, name="account_reactivate"),
]

app_name = "cities"

urlpatterns = [
    path("", registry.home, name="home"),
    path("cities/", registry.city_list, name="city_list"),
    path("cities/<str:code>/", registry.city_detail, name="city_detail"),
    path("enterprises/<str:uscc>/", registry.enterprise_detail, name="enterprise_detail"),
    path("my/", registry.my_enterprise, name="my_enterprise"),
    path("imports/", include(import_patterns)),
    path("accounts/", include(account_patterns)),
]
