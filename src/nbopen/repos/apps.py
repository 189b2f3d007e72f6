from django.apps import AppConfig


class ReposConfig(AppConfig):
    name = "nbopen.repos"
    label = "repos"
    default_auto_field = "django.db.models.BigAutoField"
