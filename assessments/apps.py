from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _level_triggers(using: str, **_: Any) -> None:
    from django.db import connections

    from . import level_triggers

    level_triggers.reinstall_if_missing(connections[using])


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "数字化水平评测"

    def ready(self) -> None:
        from . import imports  # models are loaded only once the app registry is ready

        imports.register()
        post_migrate.connect(
            _level_triggers, sender=self, dispatch_uid="assessments_level_triggers"
        )
