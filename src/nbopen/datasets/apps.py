from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    name = "nbopen.datasets"
    label = "datasets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Conversions follow the event log: a push to a dataset's default branch queues one.
        from nbopen.datasets import hooks

        hooks.connect()
