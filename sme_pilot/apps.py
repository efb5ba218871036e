"""The project's own app: wires logging signals (observability) once Django is set up.

It runs in web processes and in Celery workers alike, so tasks pick up the request id too.
"""

from django.apps import AppConfig


class SmePilotConfig(AppConfig):
    name = "sme_pilot"
    verbose_name = "sme-pilot"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from celery.signals import before_task_publish, task_postrun, task_prerun
        from django.contrib.auth import signals as auth

        from . import checks  # noqa: F401  (registers the deploy checks)
        from . import observability as obs

        auth.user_logged_in.connect(obs.on_user_logged_in, dispatch_uid="obs-login")
        auth.user_logged_out.connect(obs.on_user_logged_out, dispatch_uid="obs-logout")
        auth.user_login_failed.connect(obs.on_user_login_failed, dispatch_uid="obs-login-failed")
        user_locked_out.connect(obs.on_user_locked_out, dispatch_uid="obs-lockout")
        before_task_publish.connect(obs.celery_publish_request_id, dispatch_uid="obs-publish")
        task_prerun.connect(obs.celery_task_prerun, dispatch_uid="obs-prerun")
        task_postrun.connect(obs.celery_task_postrun, dispatch_uid="obs-postrun")
