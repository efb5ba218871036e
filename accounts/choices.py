"""Roles: each account has exactly one, and the scope it is bound to follows from it."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", "企业用户"
    ASSESSOR = "assessor", "现场评定员"
    CITY_OFFICIAL = "city_official", "城市管理员"
    MINISTRY = "ministry", "部委用户"
    ADMIN = "admin", "系统管理员"


CITY_ROLES = frozenset({Role.ASSESSOR, Role.CITY_OFFICIAL})


def role_of(user: object) -> str | None:
    """The role that scopes what `user` sees (None: anonymous or inactive; superusers: admin)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    return getattr(user, "role", None)
