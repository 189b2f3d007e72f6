from django.apps import AppConfig


class CollabConfig(AppConfig):
    name = "nbopen.collab"
    label = "collab"
    default_auto_field = "django.db.models.BigAutoField"
