from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _roster_triggers(using: str, **_: Any) -> None:
    from django.db import connections

    from . import roster_triggers

    roster_triggers.reinstall_if_missing(connections[using])


class CitiesConfig(AppConfig):
    name = "cities"
    verbose_name = "试点城市与企业名录"

    def ready(self) -> None:
        from .imports import kinds  # models are loaded only once the app registry is ready

        kinds.register()
        post_migrate.connect(_roster_triggers, sender=self, dispatch_uid="cities_roster_triggers")
