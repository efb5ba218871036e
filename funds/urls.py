"""Funds ledger pages, mounted at /funds/."""

from django.urls import URLPattern, path

from . import views

app_name = "funds"

urlpatterns: list[URLPattern] = [
    path("", views.funds_home, name="funds_home"),
    path("<str:code>/", views.ledger, name="ledger"),
    path("<str:code>/book/", views.entry_book, name="entry_book"),
    path("<str:code>/entries/<int:pk>/reverse/", views.entry_reverse, name="entry_reverse"),
    path("<str:code>/plan/", views.plan_edit, name="plan_edit"),
]
