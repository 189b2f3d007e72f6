from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "nbopen.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Thread events from every channel (web, both APIs, the Hub) reach the inbox alike.
        from nbopen.notifications import services

        services.connect()
