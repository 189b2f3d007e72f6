"""Writes on repositories: create, delete, change settings, record pushes."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from nbopen.access.policy import Decision, Level, Principal, decide_repo, may_create_repo_under
from nbopen.accounts.models import Namespace, User
from nbopen.config.env import CONFIG
from nbopen.core import events, tasks, trash
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from nbopen.core.names import is_well_formed, validate_repo_name
from nbopen.datasets import hooks as dataset_hooks
from nbopen.repos.git import init_bare, install_hooks, maintenance
from nbopen.repos.models import Repository, git_path_for

log = logging.getLogger(__name__)


def namespace_get(name: str) -> Namespace:
    if not is_well_formed(name):
        raise NotFound(f"No user or organization named {name!r}")
    try:
        return Namespace.objects.select_related("user", "organization").get(name_lower=name.lower())
    except Namespace.DoesNotExist:
        raise NotFound(f"No user or organization named {name!r}") from None


def repo_find(owner: str, name: str) -> Repository | None:
    """The repository ``owner/name`` (case-insensitive), or None. No permission check."""
    if not (is_well_formed(owner) and is_well_formed(name)):
        return None
    return (
        Repository.objects.select_related("owner")
        .filter(owner__name_lower=owner.lower(), name_lower=name.lower())
        .first()
    )


def target_namespace(actor: Principal, owner: str | None, name: str) -> Namespace:
    """Where ``actor`` asks to create ``name`` (default: under themselves), checked: the
    namespace exists, the actor may create there, and the name is free."""
    assert actor.user is not None
    namespace = namespace_get(owner) if owner else namespace_get(actor.user.username)
    if not may_create_repo_under(actor, namespace.user_id, namespace.organization_id):
        raise PermissionDenied(f"You cannot create repositories under {namespace.name!r}")
    if Repository.objects.filter(owner=namespace, name_lower=name.lower()).exists():
        raise AlreadyExists(f"Repository {namespace.name}/{name} already exists")
    return namespace


@transaction.atomic
def repo_create(
    *,
    actor: Principal,
    owner: str | None,
    name: str,
    type: str = Repository.Type.MODEL,
    private: bool = False,
    description: str = "",
) -> Repository:
    """Create a repository and its bare git repository.

    ``owner`` defaults to the acting user. Raises AlreadyExists when ``owner/name`` is taken
    (by a repository of any type), PermissionDenied when the actor may not create there.
    """
    if not actor.is_authenticated or actor.user is None:
        raise PermissionDenied("Sign in to create a repository")
    validate_repo_name(name)
    if type not in Repository.Type.values:
        raise InvalidInput(f"Repository type must be one of {', '.join(Repository.Type.values)}")
    namespace = target_namespace(actor, owner, name)
    try:
        with transaction.atomic():
            repo = Repository.objects.create(
                owner=namespace,
                name=name,
                name_lower=name.lower(),
                type=type,
                private=bool(private),
                description=description,
                created_by=actor.user,
            )
    except IntegrityError as exc:
        raise AlreadyExists(f"Repository {namespace.name}/{name} already exists") from exc
    path = git_path_for(repo.pk)
    if path.exists():
        # A leftover from a crash between git init and commit: it was never visible; clear it.
        shutil.rmtree(path)
    init_bare(
        path, default_branch=repo.default_branch, hooks_dir=install_hooks(CONFIG.data_dir / "hooks")
    )
    events.record(
        "repo.create",
        actor=actor.user,
        repository=repo,
        payload={"type": type, "private": repo.private},
    )
    return repo


@transaction.atomic
def repo_delete(*, actor: Principal, repo: Repository) -> None:
    """Delete a repository (admin only). The git directory is moved aside, then removed."""
    require(actor, repo, Level.ADMIN)
    path, repo_id = repo.git_path, repo.pk
    events.record("repo.delete", actor=actor.user, repository=repo, payload={"type": repo.type})
    repo.delete()
    trash.discard(path)
    dataset_hooks.on_delete(repo_id=repo_id)


@transaction.atomic
def repo_update_settings(
    *,
    actor: Principal,
    repo: Repository,
    private: bool | None = None,
    description: str | None = None,
) -> Repository:
    require(actor, repo, Level.ADMIN)
    if description is not None and "\x00" in description:
        raise InvalidInput("The description may not contain NUL characters")
    changes: dict[str, object] = {}
    if private is not None and bool(private) != repo.private:
        repo.private = bool(private)
        changes["private"] = repo.private
    if description is not None and description != repo.description:
        repo.description = description
        changes["description"] = description
    if changes:
        repo.save()
        events.record("repo.settings", actor=actor.user, repository=repo, payload=changes)
    return repo


def require(actor: Principal, repo: Repository, need: Level) -> None:
    """Raise the domain error matching the policy's decision (for non-HTTP callers)."""
    decision = decide_repo(actor, repo, need)
    if decision is Decision.ALLOW:
        return
    if decision is Decision.FORBIDDEN:
        raise PermissionDenied(f"You need {need.name.lower()} access to {repo.full_name}")
    raise NotFound(f"Repository {repo.full_name} not found")


@dataclass(frozen=True)
class RefUpdate:
    old: str
    new: str
    ref: str


def parse_ref_updates(lines: Iterable[str]) -> list[RefUpdate]:
    updates = []
    for line in lines:
        parts = line.split()
        if len(parts) == 3:
            updates.append(RefUpdate(*parts))
    return updates


def _pushed_commits(repo: Repository, updates: list[RefUpdate]) -> int:
    """New commits on branches in this push (analytics' ``commits``; tags add none)."""
    from nbopen.repos.git.read import count_pushed_commits

    if not repo.git_path.exists():
        return 0
    return sum(
        count_pushed_commits(repo.git_path, old=u.old, new=u.new, ref=u.ref)
        for u in updates
        if u.ref.startswith("refs/heads/")
    )


def record_push(*, repo_id: int, actor: User | None, updates: list[RefUpdate]) -> None:
    """Record one push event (append-only) and touch the repository's push time."""
    if not updates:
        return
    repo = Repository.objects.select_related("owner").filter(pk=repo_id).first()
    if repo is None:
        return
    now = timezone.now()
    Repository.objects.filter(pk=repo_id).update(pushed_at=now, updated_at=now)
    events.record(
        "repo.push",
        actor=actor,
        repository=repo,
        payload={
            "refs": [{"ref": u.ref, "old": u.old, "new": u.new} for u in updates],
            "commits": _pushed_commits(repo, updates),
        },
    )
    dataset_hooks.on_push(repo=repo, updates=updates)
    tasks.defer(maintenance.after_push, repo.pk)
