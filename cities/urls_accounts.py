"""Account management for city officials, mounted at /accounts/."""

from django.urls import path

from .views import accounts

urlpatterns = [
    path("", accounts.account_list, name="account_list"),
    path("new/", accounts.account_create, name="account_create"),
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
