"""Oversight pages: dashboards, the roster by level and rule, and its export."""

from django.urls import path

from . import views

app_name = "oversight"

urlpatterns = [
    path("cities/<str:code>/enterprises/", views.roster, name="roster"),
    path("cities/<str:code>/dashboard/", views.city_dashboard, name="city_dashboard"),
    path("cities/<str:code>/enterprises/export.xlsx", views.roster_export, name="roster_export"),
    path("dashboard/", views.national_dashboard, name="national_dashboard"),
]
