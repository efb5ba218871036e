from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "funds"
    verbose_name = "资金台账"

    def ready(self) -> None:
        # Models are loaded only once the app registry is ready.
        from . import imports

        imports.register()
