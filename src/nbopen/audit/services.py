"""Writing the audit log. Every entry goes through :func:`record`.

Where entries come from:

* the event log, for what services already record (:data:`FROM_EVENTS`: deletions of
  repositories, branches and tags; collaborators, members and teams; repository settings,
  which include visibility and gating; tokens and accounts created or revoked) —
  :func:`listen_to_events` copies them, under the event's own kind, inside the same
  transaction;
* the call sites that have no event: sign-ins and failed ones (``web.views.auth``), a token
  used from an address it was never used from (``access.credentials``), files deleted by a
  commit (``repos.writes.commits``), operators' CLI commands (``cli.admin``) and refused
  requests (``hubapi.router``, a sample of ``NBOPEN_AUDIT_REFUSAL_SAMPLE``).

The client address of the request in progress is kept in a context variable set by the ASGI
router (:func:`set_client_ip`), so entries copied from events carry it too.
"""

from __future__ import annotations

import contextvars
import random
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from nbopen.audit.models import AuditEntry
from nbopen.config.env import CONFIG
from nbopen.core import events
from nbopen.core.models import Event

FROM_EVENTS = (
    "repo.delete",
    "repo.settings",
    "repo.collaborator_",
    "repo.branch.delete",
    "repo.tag.delete",
    "org.create",
    "org.member_",
    "org.team_",
    "user.create",
    "user.password",
    "user.email",
    "token.create",
    "token.revoke",
    "ssh_key.",
    "deploy_key.",
)
# How often record() also prunes expired entries (besides `nbopen gc` and each start).
_PRUNE_CHANCE = 0.001
_SEEN_SECONDS = 24 * 3600  # then one indexed query per token and address a day

_client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "nbopen_audit_client_ip", default=None
)


def set_client_ip(ip: str | None) -> None:
    """The address of the request being served (the ASGI router calls this per request)."""
    _client_ip.set(ip)


def record(
    action: str,
    *,
    actor: Any = None,
    actor_name: str = "",
    organization_id: int | None = None,
    repository: Any = None,
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. ``actor`` is a User (or None; ``actor_name`` names who tried, e.g. a
    failed sign-in); ``repository`` a Repository or a ``owner/name`` string; the
    organization is the repository owner's when not given."""
    repository_name = repository if isinstance(repository, str) else ""
    if repository is not None and not isinstance(repository, str):
        repository_name = repository.full_name
        if organization_id is None:
            organization_id = repository.owner.organization_id
    entry = AuditEntry.objects.create(
        action=action,
        actor_id=getattr(actor, "pk", None),
        actor_name=getattr(actor, "username", "") or actor_name,
        organization_id=organization_id,
        repository_name=repository_name,
        ip=ip or _client_ip.get(),
        detail=detail or {},
    )
    if random.random() < _PRUNE_CHANCE:  # noqa: S311 - scheduling, not security
        transaction.on_commit(prune)
    return entry


def _from_event(event: Event) -> None:
    AuditEntry.objects.create(
        action=event.kind,
        actor_id=event.actor_id,
        actor_name=event.actor_name,
        organization_id=event.organization_id,
        repository_name=event.repository_name,
        ip=_client_ip.get(),
        detail=event.payload,
    )


def listen_to_events() -> None:
    events.listen("audit", FROM_EVENTS, _from_event)


def token_used(*, token: Any, ip: str | None) -> None:
    """A token authenticated from ``ip``: recorded the first time that address uses it
    (a leaked token shows up as a new address). The cache spares the lookup afterwards."""
    if not ip:
        return
    if not cache.add(f"nbopen:audit:token-ip:{token.pk}:{ip}", 1, _SEEN_SECONDS):
        return
    seen = AuditEntry.objects.filter(
        action="token.new_ip", actor_id=token.user_id, ip=ip, detail__token_id=token.pk
    ).exists()
    if not seen:
        record(
            "token.new_ip",
            actor=token.user,
            ip=ip,
            detail={"token_id": token.pk, "token": token.name},
        )


def refused(*, status: int, method: str, path: str, ip: str | None) -> None:
    """A refused request (401 with credentials, 403, 429), kept with probability
    ``NBOPEN_AUDIT_REFUSAL_SAMPLE``: a scan makes thousands, a sample shows it."""
    if random.random() >= CONFIG.audit_refusal_sample:  # noqa: S311 - sampling
        return
    record(
        "access.refused",
        ip=ip,
        detail={"status": status, "method": method, "path": path[:512]},
    )


def prune(now: Any = None) -> int:
    """Delete entries older than ``NBOPEN_AUDIT_RETENTION_DAYS`` (0 keeps everything)."""
    if CONFIG.audit_retention_days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=CONFIG.audit_retention_days)
    return AuditEntry.objects.prune_older_than(cutoff)
