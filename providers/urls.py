"""Provider library pages, mounted at /providers/."""

from django.urls import URLPattern, path

from . import views

app_name = "providers"

urlpatterns: list[URLPattern] = [
    path("", views.library_list, name="library_list"),
    path("add/", views.entry_add, name="entry_add"),
    path("me/", views.my_provider, name="my_provider"),
    path("me/products/add/", views.my_product_add, name="my_product_add"),
    path("me/products/<int:pk>/edit/", views.my_product_edit, name="my_product_edit"),
    path("me/products/<int:pk>/delete/", views.my_product_delete, name="my_product_delete"),
    path("<int:pk>/", views.entry_detail, name="entry_detail"),
    path("<int:pk>/status/", views.entry_status, name="entry_status"),
]
