"""Keeping the index current from the event log, in the background.

Every appended :class:`~nbopen.core.models.Event` schedules (after its transaction commits)
one job that applies that very event and then catches up with anything else after the
cursor — events written by other processes (the CLI, git hooks) included. Applying the
event itself, not only "everything after the cursor", matters on PostgreSQL: ids are taken
before commit, so a slow transaction can commit an id lower than one already applied.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models.signals import post_save

from nbopen.core import tasks
from nbopen.core.models import Event

log = logging.getLogger(__name__)
INDEXED_PREFIXES = ("repo.", "org.", "user.")


def refresh(
    event_id: int,
    kind: str,
    repository_id: int | None,
    organization_id: int | None,
    actor_id: int | None,
) -> None:
    from nbopen.search import indexer, trending

    if event_id <= indexer.cursor():
        # The catch-up already moved past this id while our transaction was still open.
        indexer.apply_event(kind, repository_id, organization_id, actor_id)
    indexer.index_pending()
    trending.maybe_refresh()


def _on_event(sender: type[Event], instance: Event, created: bool, **kwargs: Any) -> None:
    if created and instance.kind.startswith(INDEXED_PREFIXES):
        tasks.defer(
            refresh,
            instance.pk,
            instance.kind,
            instance.repository_id,
            instance.organization_id,
            instance.actor_id,
        )


def connect() -> None:
    post_save.connect(_on_event, sender=Event, dispatch_uid="nbopen.search.on_event")
