"""Writes on repositories: create, delete, change settings.

Content (commits, refs, git directories, large files) is written by :mod:`nbopen.repos.writes`.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from nbopen.access.policy import Level, Principal, may_create_repo_under, require_repo
from nbopen.accounts.models import Namespace, User
from nbopen.core import events, trash
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from nbopen.core.names import is_well_formed, validate_repo_name
from nbopen.repos import moves
from nbopen.repos.models import Repository
from nbopen.repos.writes import repositories

log = logging.getLogger(__name__)


def namespace_get(name: str) -> Namespace:
    if not is_well_formed(name):
        raise NotFound(gettext_noop("No user or organization named '%(name)s'"), name=name)
    try:
        return Namespace.objects.select_related("user", "organization").get(name_lower=name.lower())
    except Namespace.DoesNotExist:
        raise NotFound(
            gettext_noop("No user or organization named '%(name)s'"), name=name
        ) from None


def repo_find(owner: str, name: str, repo_type: str | None = None) -> Repository | None:
    """The repository ``owner/name`` (case-insensitive) in ``repo_type``'s URL space, or None.
    No permission check.

    A model and a dataset may share a name (:meth:`Repository.space_of`): ``repo_type``
    ``dataset`` finds only the dataset (``/datasets/{owner}/{name}``), ``model`` or ``code``
    only the model or code repository of that name (``/{owner}/{name}``; callers that want
    one exact type check it). Without a type (an unprefixed URL that may also name a dataset,
    as links did before datasets had their own space), the model or code repository wins and
    the dataset is the fallback.
    """
    if not (is_well_formed(owner) and is_well_formed(name)):
        return None
    found = Repository.objects.select_related("owner").filter(
        owner__name_lower=owner.lower(), name_lower=name.lower()
    )
    if repo_type is not None:
        return found.filter(type__in=Repository.space_of(repo_type)).first()
    candidates = list(found[:2])
    candidates.sort(key=lambda repo: repo.type == Repository.Type.DATASET)
    return candidates[0] if candidates else None


def type_param(value: str | None) -> str | None:
    """A ``?type=`` query value as a repository type (None when absent or not a type), for
    the API routes that name a repository without a type in their path."""
    return value if value in Repository.Type.values else None


def target_namespace(
    actor: Principal, owner: str | None, name: str, repo_type: str = Repository.Type.MODEL
) -> Namespace:
    """Where ``actor`` asks to create ``name`` (default: under themselves), checked: the
    namespace exists, the actor may create there, and the name is free in ``repo_type``'s
    URL space (a dataset may share a model's name)."""
    assert actor.user is not None
    namespace = namespace_get(owner) if owner else namespace_get(actor.user.username)
    if not may_create_repo_under(actor, namespace.user_id, namespace.organization_id):
        raise PermissionDenied(
            gettext_noop("You cannot create repositories under '%(owner)s'"), owner=namespace.name
        )
    if Repository.objects.filter(
        owner=namespace, name_lower=name.lower(), type__in=Repository.space_of(repo_type)
    ).exists():
        raise AlreadyExists(
            gettext_noop("Repository %(owner)s/%(name)s already exists"),
            owner=namespace.name,
            name=name,
        )
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
    empty: bool = True,
) -> Repository:
    """Create a repository and its bare git repository.

    ``owner`` defaults to the acting user. Raises AlreadyExists when ``owner/name`` is taken
    in the type's URL space (models and code share one, datasets have their own),
    PermissionDenied when the actor may not create there.
    ``empty=False`` gives model and dataset repositories the Hub's initial commit (the web
    form and Hub clients ask for it; see :mod:`nbopen.repos.writes.repositories`).
    """
    if not actor.is_authenticated or actor.user is None:
        raise PermissionDenied(gettext_noop("Sign in to create a repository"))
    validate_repo_name(name)
    if type not in Repository.Type.values:
        raise InvalidInput(
            gettext_noop("Repository type must be one of %(choices)s"),
            choices=", ".join(Repository.Type.values),
        )
    namespace = target_namespace(actor, owner, name, type)
    return repo_create_in(
        namespace=namespace,
        name=name,
        type=type,
        private=private,
        description=description,
        created_by=actor.user,
        empty=empty,
    )


def repo_create_in(
    *,
    namespace: Namespace,
    name: str,
    type: str,
    created_by: User | None,
    private: bool = False,
    description: str = "",
    empty: bool = True,
    default_branch: str = "main",
) -> Repository:
    """Create ``namespace/name`` with no permission check: :func:`repo_create` after its
    checks, and the server itself (a mirror of an upstream repository, in the upstream's
    namespace, which no user may create in)."""
    validate_repo_name(name)
    try:
        with transaction.atomic():
            repo = Repository.objects.create(
                owner=namespace,
                name=name,
                name_lower=name.lower(),
                type=type,
                private=bool(private),
                description=description,
                created_by=created_by,
                default_branch=default_branch,
            )
    except IntegrityError as exc:
        raise AlreadyExists(
            gettext_noop("Repository %(owner)s/%(name)s already exists"),
            owner=namespace.name,
            name=name,
        ) from exc
    moves.release_name(owner=namespace, name=name, repo_type=type)
    events.record(
        "repo.create",
        actor=created_by,
        repository=repo,
        payload={"type": type, "private": repo.private},
    )
    repositories.initialize(repo=repo, actor=created_by, empty=empty)
    return repo


@transaction.atomic
def repo_delete(*, actor: Principal, repo: Repository) -> None:
    """Delete a repository (admin only). The git directory is moved aside, then removed."""
    require_repo(actor, repo, Level.ADMIN)
    path = repo.git_path
    # Listeners (the dataset viewer's files) react to the event.
    events.record("repo.delete", actor=actor.user, repository=repo, payload={"type": repo.type})
    repo.delete()
    trash.discard(path)


@transaction.atomic
def repo_update_settings(
    *,
    actor: Principal,
    repo: Repository,
    private: bool | None = None,
    description: str | None = None,
) -> Repository:
    require_repo(actor, repo, Level.ADMIN)
    if description is not None and "\x00" in description:
        raise InvalidInput(gettext_noop("The description may not contain NUL characters"))
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


def storage_used(repos: list[Repository]) -> dict[int, int]:
    """repository id → bytes it holds: its git directory plus the LFS objects linked to it
    (what ``hf repos ls`` shows as storage)."""
    from django.db.models import Sum

    from nbopen.repos.models import RepositoryLFSObject

    rows = (
        RepositoryLFSObject.objects.filter(repository__in=repos)
        .values("repository_id")
        .annotate(total=Sum("lfs_object__size"))
    )
    used = {row["repository_id"]: int(row["total"] or 0) for row in rows}
    for repo in repos:
        git_bytes = 0
        for path in repo.git_path.rglob("*") if repo.git_path.is_dir() else ():
            try:
                if path.is_file() and not path.is_symlink():
                    git_bytes += path.stat().st_size
            except OSError:
                continue
        used[repo.pk] = used.get(repo.pk, 0) + git_bytes
    return used
