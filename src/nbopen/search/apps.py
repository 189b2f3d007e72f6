from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "nbopen.search"
    label = "search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Indexing follows the event log: every recorded event schedules a catch-up job.
        from nbopen.search import tasks

        tasks.connect()
