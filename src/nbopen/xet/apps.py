from django.apps import AppConfig


class XetConfig(AppConfig):
    name = "nbopen.xet"
    label = "xet"
    default_auto_field = "django.db.models.BigAutoField"
