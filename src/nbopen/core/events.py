"""Appending to the event log. Services call :func:`record`; nothing else writes events.

Other apps react to new events through a plain registry instead of Django signals (STYLE.md:
"no signals — call the logic explicitly"): an app registers a listener once, in its
``AppConfig.ready``, with :func:`listen`, and :func:`record` calls it right after the row is
written, inside the caller's transaction. Listeners must be quick — anything slow is what
``core.tasks.defer`` is for, which also waits for the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nbopen.core.models import Event

Listener = Callable[[Event], None]
_listeners: dict[str, tuple[tuple[str, ...], Listener]] = {}


def listen(name: str, prefixes: tuple[str, ...], listener: Listener) -> None:
    """Call ``listener(event)`` for every recorded event whose kind starts with a prefix.

    ``name`` identifies the registration, so registering again (a second ``ready()``)
    replaces rather than duplicates it.
    """
    _listeners[name] = (prefixes, listener)


def record(
    kind: str,
    *,
    actor: Any = None,
    repository: Any = None,
    organization_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Append one event. ``actor`` is a User (or None), ``repository`` a Repository (or None)."""
    org_id = organization_id
    if org_id is None and repository is not None:
        org_id = repository.owner.organization_id
    event = Event.objects.create(
        kind=kind,
        actor_id=getattr(actor, "pk", None),
        actor_name=getattr(actor, "username", "") or "",
        repository_id=getattr(repository, "pk", None),
        repository_name=repository.full_name if repository is not None else "",
        organization_id=org_id,
        payload=payload or {},
    )
    for prefixes, listener in list(_listeners.values()):
        if kind.startswith(prefixes):
            listener(event)
    return event
