from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "数字化服务商库"

    def ready(self) -> None:
        from . import imports  # models are loaded only once the app registry is ready

        imports.register()
