from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "数字化改造项目"

    def ready(self) -> None:
        from . import project_import  # models are loaded only once the app registry is ready

        project_import.register()
