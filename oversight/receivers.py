"""Oversight keeps its dashboard cache fresh from the events of the apps below it.

Writers never call this cache: they send `cities.signals.registry_changed` or
`assessments.signals.levels_changed`, and reference data changes arrive as the models' own
post_save/post_delete. Every invalidation happens after the writer's transaction commits.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from assessments.signals import levels_changed
from cities.models import CityTarget, PilotBatch, PilotCity, SubIndustry
from cities.signals import registry_changed

from . import dashboard_cache


def _batch_changed(sender: Any, instance: PilotBatch, **kwargs: Any) -> None:
    batch_id = instance.pk
    transaction.on_commit(lambda: dashboard_cache.invalidate_batch(batch_id))


def _city_data_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    city_id = instance.pk if isinstance(instance, PilotCity) else instance.city_id
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
