"""Celery application. Without REDIS_URL the settings make tasks run eagerly in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sme_pilot.settings.local")

app = Celery("sme_pilot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
