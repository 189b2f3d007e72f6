from django.apps import AppConfig


class IncubatorConfig(AppConfig):
    name = "nbopen.incubator"
    label = "incubator"
    default_auto_field = "django.db.models.BigAutoField"
