from django.apps import AppConfig


class LibrariesConfig(AppConfig):
    name = "nbopen.libraries"
    label = "libraries"
    default_auto_field = "django.db.models.BigAutoField"
