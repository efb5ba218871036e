from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "数字化服务商库"

    def ready(self) -> None:
        # Models are loaded only once the app registry is ready.
        from cities.signals import registry_changed

        from . import imports

        imports.register()
        registry_changed.connect(imports.write_pending, dispatch_uid="providers_import_pending")
