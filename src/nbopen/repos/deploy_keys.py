"""Deploy keys: SSH keys bound to one repository (Gitea's ``/repos/{owner}/{repo}/keys``).

A CI machine gets read (or read-write) access to one repository without a user account.
The same key may be a deploy key of several repositories (as on Gitea); it may not also be
a user's key, or the server could not tell from the key alone whom it speaks for. Callers
check admin on the repository (``access.policy``) before calling the writes here.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from nbopen.accounts.models import SSHKey, User
from nbopen.accounts.sshkeys import parse_public_key
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, NotFound
from nbopen.repos.models import DeployKey, Repository


def deploy_keys_of(repo: Repository) -> QuerySet[DeployKey]:
    return DeployKey.objects.filter(repository=repo)


def deploy_key_get(*, repo: Repository, key_id: int) -> DeployKey:
    try:
        return DeployKey.objects.get(pk=key_id, repository=repo)
    except DeployKey.DoesNotExist:
        raise NotFound("No such deploy key") from None


def deploy_key_add(
    *, actor: User | None, repo: Repository, title: str, key: str, read_only: bool = True
) -> DeployKey:
    """Bind ``key`` to ``repo``; read-only unless ``read_only`` is False."""
    parsed = parse_public_key(key)
    if SSHKey.objects.filter(fingerprint=parsed.fingerprint).exists():
        raise AlreadyExists("This SSH key is already a user's key")
    try:
        with transaction.atomic():
            row = DeployKey.objects.create(
                repository=repo,
                title=(title or "").strip()[:100] or parsed.key_type,
                key=parsed.key,
                key_type=parsed.key_type,
                fingerprint=parsed.fingerprint,
                read_only=read_only,
            )
    except IntegrityError:
        raise AlreadyExists("This key is already a deploy key of this repository") from None
    events.record(
        "deploy_key.add",
        actor=actor,
        repository=repo,
        payload={"key_id": row.pk, "fingerprint": row.fingerprint, "read_only": read_only},
    )
    return row


def deploy_key_delete(*, actor: User | None, repo: Repository, key_id: int) -> None:
    row = deploy_key_get(repo=repo, key_id=key_id)
    row.delete()
    events.record("deploy_key.delete", actor=actor, repository=repo, payload={"key_id": key_id})


def deploy_key_for(fingerprint: str, repo: Repository) -> DeployKey | None:
    return DeployKey.objects.filter(fingerprint=fingerprint, repository=repo).first()


def is_deploy_key(fingerprint: str) -> bool:
    return DeployKey.objects.filter(fingerprint=fingerprint).exists()
