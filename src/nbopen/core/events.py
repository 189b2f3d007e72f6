"""Appending to the event log. Services call :func:`record`; nothing else writes events."""

from __future__ import annotations

from typing import Any

from nbopen.core.models import Event


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
    return Event.objects.create(
        kind=kind,
        actor_id=getattr(actor, "pk", None),
        actor_name=getattr(actor, "username", "") or "",
        repository_id=getattr(repository, "pk", None),
        repository_name=repository.full_name if repository is not None else "",
        organization_id=org_id,
        payload=payload or {},
    )
