"""Forks: your own copy of someone's repository, linked to where it came from.

Reuse is what the platform exists for, and a fork is its most visible form: the analytics count
forks as reuse (``repo.fork`` events belong to the source, as GitHub's ForkEvent does) and the
repository page links both ways.

Rules, as GitHub applies them by default to organizations:
- only public repositories can be forked (a private fork would outlive its owner's access and
  carry private content out of the organization), and a fork is public;
- the fork gets every branch and tag; its git objects are hard-linked from the source
  (``git clone --local``), so forking a large repository is cheap and the fork stays whole when
  the source is deleted;
- large files come along by reference: the fork is linked to the source's LFS and Xet objects,
  because those links are what authorizes a download (ADR 0004).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from nbopen.access.policy import (
    Level,
    Principal,
    decide_content,
    public_repositories,
    require_repo,
)
from nbopen.accounts.models import Namespace
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, PermissionDenied
from nbopen.core.names import validate_repo_name
from nbopen.repos import moves
from nbopen.repos.models import Repository
from nbopen.repos.services import target_namespace
from nbopen.repos.writes import repositories


@transaction.atomic
def repo_fork(
    *, actor: Principal, source: Repository, owner: str | None = None, name: str | None = None
) -> Repository:
    """Fork ``source`` to ``owner/name`` (default: the actor's namespace, the same name)."""
    require_repo(actor, source, Level.READ)
    if not actor.is_authenticated or actor.user is None:
        raise PermissionDenied(gettext_noop("Sign in to fork a repository"))
    if source.private:
        raise PermissionDenied(gettext_noop("Private repositories cannot be forked"))
    if decide_content(actor, source).is_gated:  # a fork copies the files
        raise PermissionDenied(gettext_noop("This repository is gated: request access to it first"))
    name = name or source.name
    validate_repo_name(name)
    namespace = target_namespace(actor, owner, name, source.type)
    try:
        with transaction.atomic():
            fork = _create_row(actor, source, namespace, name)
    except IntegrityError as exc:
        raise AlreadyExists(
            gettext_noop("Repository %(owner)s/%(name)s already exists"),
            owner=namespace.name,
            name=name,
        ) from exc
    moves.release_name(owner=namespace, name=name, repo_type=fork.type)
    repositories.initialize_fork(source=source, fork=fork)
    events.record(
        "repo.create",
        actor=actor.user,
        repository=fork,
        payload={"type": fork.type, "private": False, "forked_from": source.full_name},
    )
    events.record(
        "repo.fork",
        actor=actor.user,
        repository=source,
        payload={"forkee": fork.full_name, "forkee_id": fork.pk},
    )  # a forked dataset is converted by the datasets app's listener on this event
    return fork


def _create_row(
    actor: Principal, source: Repository, namespace: Namespace, name: str
) -> Repository:
    assert actor.user is not None
    return Repository.objects.create(
        owner=namespace,
        name=name,
        name_lower=name.lower(),
        type=source.type,
        private=False,
        description=source.description,
        license=source.license,
        tags=list(source.tags),
        card_data=dict(source.card_data),
        default_branch=source.default_branch,
        created_by=actor.user,
        forked_from=source,
        pushed_at=source.pushed_at,
    )


def fork_count(repo: Repository) -> int:
    """Public forks only: a count must not reveal anything private."""
    return public_repositories().filter(forked_from=repo).count()
