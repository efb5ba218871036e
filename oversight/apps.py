from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "oversight"
    verbose_name = "应改尽改与达标监测"

    def ready(self) -> None:
        from . import receivers  # models are loaded only once the app registry is ready

        receivers.connect()
