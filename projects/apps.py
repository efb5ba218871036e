from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "数字化改造项目"

    def ready(self) -> None:
        # Models are loaded only once the app registry is ready.
        from . import imports, project_import

        imports.register()
        project_import.register()
