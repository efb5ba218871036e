"""Oversight keeps its dashboard cache fresh from the events of the apps below it.

Writers never call this cache: they send `cities.signals.registry_changed`,
`assessments.signals.levels_changed`, `projects.signals.projects_changed` or
`funds.signals.funds_changed`, and reference data
changes (and a project saved one by one, in the admin) arrive as the models' own
post_save/post_delete. Every invalidation happens after the writer's transaction commits.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from assessments.signals import levels_changed
from cities.models import CityTarget, Enterprise, PilotBatch, PilotCity, SubIndustry
from cities.signals import registry_changed
from funds.signals import funds_changed
from projects.models import Project
from projects.signals import projects_changed

from . import dashboard_cache


def _batch_changed(sender: Any, instance: PilotBatch, **kwargs: Any) -> None:
    batch_id = instance.pk
    transaction.on_commit(lambda: dashboard_cache.invalidate_batch(batch_id))


def _city_data_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    city_id = instance.pk if isinstance(instance, PilotCity) else instance.city_id
    dashboard_cache.invalidate_city_on_commit(city_id)


def _project_saved(sender: Any, instance: Project, **kwargs: Any) -> None:
    """A project saved one by one (the admin): its enterprise's city. The import and the stage
    moves write in bulk or send `projects_changed`, so this costs nothing there."""
    city_id = (
        Enterprise.objects.filter(pk=instance.enterprise_id)
        .values_list("city_id", flat=True)
        .first()
    )
    dashboard_cache.invalidate_city_on_commit(city_id)


def _cities_changed(sender: Any, city_ids: list[int | None] | None, **kwargs: Any) -> None:
    if city_ids is None:
        transaction.on_commit(dashboard_cache.invalidate_all)
    else:
        dashboard_cache.invalidate_city_on_commit(*city_ids)


def connect() -> None:
    post_save.connect(_batch_changed, sender=PilotBatch, dispatch_uid="dash_batch_saved")
    for model in (PilotCity, SubIndustry, CityTarget):
        for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
            signal.connect(
                _city_data_changed, sender=model, dispatch_uid=f"dash_{model.__name__}_{name}"
            )
    registry_changed.connect(_cities_changed, dispatch_uid="dash_registry_changed")
    levels_changed.connect(_cities_changed, dispatch_uid="dash_levels_changed")
    projects_changed.connect(_cities_changed, dispatch_uid="dash_projects_changed")
    funds_changed.connect(_cities_changed, dispatch_uid="dash_funds_changed")
    for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
        signal.connect(_project_saved, sender=Project, dispatch_uid=f"dash_Project_{name}")
