from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    name = "nbopen.datasets"
    label = "datasets"
    default_auto_field = "django.db.models.BigAutoField"
