"""Dashboard cache invalidation when reference data changes (no business logic here)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from . import dashboard_cache
from .models import CityTarget, PilotBatch, PilotCity, SubIndustry


def _batch_changed(sender: Any, instance: PilotBatch, **kwargs: Any) -> None:
    batch_id = instance.pk
    transaction.on_commit(lambda: dashboard_cache.invalidate_batch(batch_id))


def _city_data_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    city_id = instance.pk if isinstance(instance, PilotCity) else instance.city_id
    dashboard_cache.invalidate_city_on_commit(city_id)


def connect() -> None:
    post_save.connect(_batch_changed, sender=PilotBatch, dispatch_uid="dash_batch_saved")
    for model in (PilotCity, SubIndustry, CityTarget):
        for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
            signal.connect(
                _city_data_changed, sender=model, dispatch_uid=f"dash_{model.__name__}_{name}"
            )
