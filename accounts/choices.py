"""Roles: each account has exactly one. What a role sees and may do is `accounts.policy`."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", "企业用户"
    ASSESSOR = "assessor", "现场评定员"
    CITY_OFFICIAL = "city_official", "城市管理员"
    DISTRICT_OFFICIAL = "district_official", "区县管理员"
    PROVIDER = "provider", "服务商"
    PROVINCE_OFFICIAL = "province_official", "省级管理员"
    MINISTRY = "ministry", "部委用户"
    ADMIN = "admin", "系统管理员"
