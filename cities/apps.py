from django.apps import AppConfig


class CitiesConfig(AppConfig):
    name = "cities"
    verbose_name = "试点城市与企业名录"

    def ready(self) -> None:
        from .imports import kinds  # models are loaded only once the app registry is ready

        kinds.register()
