from django.apps import AppConfig


class CollabConfig(AppConfig):
    name = "nbopen.collab"
    label = "collab"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Pushes (every channel, merges included) close issues named by ``fixes #N`` and
        # move the pull requests whose head they updated.
        from nbopen.collab import closing, pulls

        closing.connect()
        pulls.connect()
