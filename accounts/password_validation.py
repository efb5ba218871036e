"""Password rules of our own, run by Django for every password a person chooses
(AUTH_PASSWORD_VALIDATORS): the password change page, the admin's password form, `changepassword`.
"""

from __future__ import annotations

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError


class NotCurrentPasswordValidator:
    """The new password must differ from the current one.

    An initial password was seen by whoever set it (the city official, the credential sheet);
    keeping it as the "new" password would leave them able to log in.
    """

    message = "新密码不能与当前密码相同。"

    def validate(self, password: str, user: object = None) -> None:
        current = getattr(user, "password", "")
        # hashers.check_password, not user.check_password: no re-hashing side effect on a match.
        if current and check_password(password, current):
            raise ValidationError(self.message, code="password_unchanged")

    def get_help_text(self) -> str:
        return "新密码不能与当前密码相同。"
