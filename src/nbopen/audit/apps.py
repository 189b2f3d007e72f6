from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "nbopen.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from nbopen.audit.services import listen_to_events

        listen_to_events()
