from django.apps import AppConfig


class HubapiConfig(AppConfig):
    name = "nbopen.hubapi"
    label = "hubapi"
