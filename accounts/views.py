"""Pages of one's own account: changing one's password (login and logout are Django's own)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponse
from django.urls import reverse_lazy

from . import services
from .requests import AuthenticatedHttpRequest


class PasswordChange(auth_views.PasswordChangeView):
    success_url = reverse_lazy("accounts:password_change_done")

    request: AuthenticatedHttpRequest  # the view is behind login_required

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        services.user_password_changed(user=self.request.user)
        return response
