"""Project pages."""

from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("cities/<str:code>/subsidy-policy/", views.subsidy_policy, name="subsidy_policy"),
]
