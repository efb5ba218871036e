"""Deployment checks of our own, run by `manage.py check --deploy` next to Django's."""

from __future__ import annotations

from pathlib import Path
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


@register(Tags.security, deploy=True)
def private_files_outside_the_web_root(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """Evidence files must not sit where static or media files are served from (or hold them)."""
    private = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    served = [settings.STATIC_ROOT, settings.MEDIA_ROOT, *settings.STATICFILES_DIRS]
    clashes = [
        str(root)
        for root in (Path(r).resolve() for r in served if r)
        if private.is_relative_to(root) or root.is_relative_to(private)
    ]
    if not clashes:
        return []
    return [
        Warning(
            f"PRIVATE_MEDIA_ROOT（{private}）与静态文件或 MEDIA_ROOT 目录重叠："
            f"{'、'.join(clashes)}。",
            hint="把佐证材料放在网站目录之外，如 PRIVATE_MEDIA_ROOT=/var/lib/sme-pilot/private"
            "（见 docs/deploy.md）。",
            id="sme_pilot.W002",
        )
    ]
