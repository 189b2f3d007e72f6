from django.apps import AppConfig


class MirrorsConfig(AppConfig):
    name = "nbopen.mirrors"
    label = "mirrors"
    default_auto_field = "django.db.models.BigAutoField"
