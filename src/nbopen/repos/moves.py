"""Moving a repository: a rename within its owner, or a transfer to another owner.

As on GitHub, Gitea and the Hub, links to the old name keep working: the old name becomes a
:class:`~nbopen.repos.models.RepositoryRedirect`, and every channel that misses a repository
asks :func:`moved_repository` before answering "not found" (the web with a redirect page,
git, the Hub API, downloads and ``/api/v1`` with a 307 to the same path under the new name).
The redirect ends when a repository takes the old name (:func:`release_name`, called by every
path that gives a repository a name), so an old link never shadows a new repository.

What belongs to the repository follows it for free because it is keyed by the repository's
id, never by its name: the git directory (``git_path_for(id)``), the search document, forks,
collaborators, access requests, likes, LFS and Xet links, dataset conversions. Team grants
do not: teams belong to an organization, so a transfer out of it drops them.

Whether the caller may learn where a repository went is the policy's READ decision on the
repository itself, so a private repository's old name answers an outsider exactly as an
unknown name does.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from nbopen.access.policy import (
    Decision,
    Level,
    Principal,
    decide_repo,
    may_create_repo_under,
    may_transfer,
    require_repo,
)
from nbopen.accounts.models import Namespace
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from nbopen.core.names import is_well_formed, validate_repo_name
from nbopen.orgs.models import TeamRepository
from nbopen.repos.models import Repository, RepositoryRedirect


def _is_dataset(repo_type: str) -> bool:
    return repo_type == Repository.Type.DATASET


def release_name(*, owner: Namespace, name: str, repo_type: str) -> None:
    """``owner/name`` now belongs to a repository of ``repo_type``: an old redirect from that
    name in that URL space ends."""
    RepositoryRedirect.objects.filter(
        owner_lower=owner.name_lower, name_lower=name.lower(), dataset=_is_dataset(repo_type)
    ).delete()


def moved_repository(owner: str, name: str, repo_type: str | None) -> Repository | None:
    """The repository that was called ``owner/name`` in ``repo_type``'s URL space (without a
    type: a model or code repository, else a dataset, as :func:`repos.services.repo_find`).
    No permission check: callers ask :func:`visible_move`."""
    if not (is_well_formed(owner) and is_well_formed(name)):
        return None
    found = RepositoryRedirect.objects.select_related("repository__owner").filter(
        owner_lower=owner.lower(), name_lower=name.lower()
    )
    if repo_type is not None:
        found = found.filter(dataset=_is_dataset(repo_type))
    redirects = sorted(found[:2], key=lambda r: r.dataset)
    return redirects[0].repository if redirects else None


def visible_move(
    principal: Principal, owner: str, name: str, repo_type: str | None
) -> Repository | None:
    """Where ``owner/name`` went, if ``principal`` may read the repository there; None
    otherwise (the caller answers as for an unknown name)."""
    repo = moved_repository(owner, name, repo_type)
    if repo is None or (repo_type is not None and repo.type not in Repository.space_of(repo_type)):
        return None
    if decide_repo(principal, repo, Level.READ) is not Decision.ALLOW:
        return None
    return repo


def relocated(path: str, owner: str, name: str, repo: Repository) -> str:
    """``path`` with its first ``/{owner}/{name}`` segment pair (case-insensitive, followed by
    ``/``, ``.git`` or the end) replaced by the repository's current name."""
    pattern = re.compile(
        "/" + re.escape(owner) + "/" + re.escape(name) + r"(?=/|\.git|\Z)", re.IGNORECASE
    )
    return pattern.sub(lambda _: f"/{repo.owner.name}/{repo.name}", path, count=1)


@transaction.atomic
def repo_move(*, actor: Principal, repo: Repository, owner: str, name: str) -> Repository:
    """Rename ``repo`` to ``owner/name`` (admin on it; to another owner: the owner's own
    authority (:func:`~nbopen.access.policy.may_transfer`) and the right to create
    repositories there). The old name redirects here until it is taken."""
    require_repo(actor, repo, Level.ADMIN)
    if not actor.is_authenticated or actor.user is None:
        raise PermissionDenied("Sign in to move a repository")
    validate_repo_name(name)
    target = Namespace.objects.filter(name_lower=owner.lower()).first()
    if target is None or not is_well_formed(owner):
        raise NotFound(f"No user or organization named {owner!r}")
    old_owner, old_name = repo.owner, repo.name
    if target.pk == old_owner.pk and name == old_name:
        raise InvalidInput("The repository already has this name")
    if target.pk != old_owner.pk:
        if not may_transfer(actor, repo):
            raise PermissionDenied(f"Only the owner of {repo.full_name} may transfer it")
        if not may_create_repo_under(actor, target.user_id, target.organization_id):
            raise PermissionDenied(f"You cannot create repositories under {target.name!r}")
    taken = Repository.objects.filter(
        owner=target, name_lower=name.lower(), type__in=Repository.space_of(repo.type)
    ).exclude(pk=repo.pk)
    if taken.exists():
        raise AlreadyExists(f"Repository {target.name}/{name} already exists")
    repo.owner, repo.name, repo.name_lower = target, name, name.lower()
    try:
        with transaction.atomic():
            repo.save(update_fields=["owner", "name", "name_lower", "updated_at"])
    except IntegrityError as exc:
        raise AlreadyExists(f"Repository {target.name}/{name} already exists") from exc
    release_name(owner=target, name=name, repo_type=repo.type)
    if old_name.lower() != name.lower() or old_owner.pk != target.pk:
        RepositoryRedirect.objects.update_or_create(
            owner_lower=old_owner.name_lower,
            name_lower=old_name.lower(),
            dataset=_is_dataset(repo.type),
            defaults={"repository": repo},
        )
    if old_owner.organization_id is not None and old_owner.pk != target.pk:
        TeamRepository.objects.filter(repository=repo).delete()
    events.record(
        "repo.move",
        actor=actor.user,
        repository=repo,
        payload={"from": f"{old_owner.name}/{old_name}", "to": repo.full_name},
    )  # the search index re-reads the repository on every repo.* event
    return repo
