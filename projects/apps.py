from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _stage_triggers(using: str, **_: Any) -> None:
    from django.db import connections

    from . import stage_triggers

    stage_triggers.reinstall_if_missing(connections[using])


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "数字化改造项目"

    def ready(self) -> None:
        # Models are loaded only once the app registry is ready.
        from . import imports, project_import

        imports.register()
        project_import.register()
        post_migrate.connect(_stage_triggers, sender=self, dispatch_uid="projects_stage_triggers")
