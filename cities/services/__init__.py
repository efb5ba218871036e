"""Writes and workflows of the registry. Import the functions from here."""

from .registry import enterprise_update, user_password_changed

__all__ = ["enterprise_update", "user_password_changed"]
