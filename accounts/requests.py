"""Request types whose `user` is our `User`, for code that only runs for a signed-in account.

Pages behind `login_required` take an `AuthenticatedHttpRequest`; API views, behind
`sme_pilot.api.IsActiveAccount`, read `request.user` through `AuthenticatedRequest`. Both are
annotations only (the objects are Django's and DRF's own): the decorator or the permission class
is what makes them true, so no view has to assert who its user is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from rest_framework import viewsets
from rest_framework.request import Request

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User


if TYPE_CHECKING:

    class AuthenticatedRequest(Request):
        @property
        def user(self) -> User: ...

        @user.setter
        def user(self, value: User) -> None: ...

else:
    AuthenticatedRequest = Request


class SignedInViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    """A viewset behind IsActiveAccount (the default permission): `self.request.user` is our
    User."""

    request: AuthenticatedRequest
