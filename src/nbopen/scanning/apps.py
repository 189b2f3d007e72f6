from django.apps import AppConfig


class ScanningConfig(AppConfig):
    name = "nbopen.scanning"
    label = "scanning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Scans follow the event log: every push queues a scan of the content it brought.
        from nbopen.scanning import services

        services.connect()
