from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "数字化改造项目"

    def ready(self) -> None:
        from . import imports  # models are loaded only once the app registry is ready

        imports.register()
