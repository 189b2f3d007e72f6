from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "nbopen.webhooks"
    label = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Hooks react to the event log (ADR 0013): every channel that records an event
        # (git push, Hub commits, the web, the API, merges) triggers the same deliveries.
        from nbopen.webhooks import services

        services.connect()
