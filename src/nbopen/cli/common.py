"""What every operator command needs: one error type, Django set up, the schema migrated.

Kept apart from :mod:`nbopen.cli.admin`, which dispatches to the verb modules
(``cli/analytics.py``, ``cli/search.py`` …): those import this module, never the dispatcher,
so the command line has no import cycle.
"""

from __future__ import annotations

import os


class CommandError(Exception):
    """A command's user-facing failure: printed on one line, exit status 1."""


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nbopen.config.settings")
    import django

    django.setup()


def migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    from nbopen.config.env import CONFIG

    CONFIG.data_dir.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=verbosity)
