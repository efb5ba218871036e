"""Deployment checks of our own, run by `manage.py check --deploy` next to Django's."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def log_files_configured(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.LOG_DIR:
        return []
    return [
        Warning(
            "未设置 LOG_DIR：访问日志与安全日志不会写入文件，无法按要求保留 6 个月以上。",
            hint=(
                "设置 LOG_DIR=/var/log/sme-pilot 并安装 deploy/logrotate/sme-pilot"
                "（见 docs/deploy.md）。"
            ),
            id="sme_pilot.W001",
        )
    ]
