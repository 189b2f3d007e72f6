from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "nbopen.web"
    label = "web"
