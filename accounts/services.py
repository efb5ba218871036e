"""Writes of an account that need nothing but the account itself.

Creating accounts for a city's people and enterprises, resetting their passwords and
(de)activating them is account management of the registry (`cities.services.accounts`), which
uses these.
"""

from __future__ import annotations

from django.db.models import F

from .models import User


def account_sessions_end(*, user: User) -> None:
    """End every session the account has open, for good: called whenever it is deactivated
    (by a city official or in the admin). An inactive account's sessions are refused anyway;
    raising the generation in its session hash keeps them dead after a reactivation."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])


def user_password_changed(*, user: User) -> None:
    """The user chose their own password: the first-login obligation is met."""
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
