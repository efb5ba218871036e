from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "数字化水平评测"

    def ready(self) -> None:
        from . import imports  # models are loaded only once the app registry is ready

        imports.register()
