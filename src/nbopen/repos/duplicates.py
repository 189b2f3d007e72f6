"""Duplicating a repository (the Hub's ``duplicate_repo``): an independent copy, history and all.

Unlike a fork (:mod:`nbopen.repos.forks`) a duplicate keeps no link to its source: it is the
caller's own repository, private if they ask (by default as private as the source), and it
is not counted as reuse of the source. It is made the same way: every branch and tag with
the git objects hard-linked (``git clone --local``), and the source's LFS and Xet links
copied, because those links are what authorizes downloads through the new repository
(ADR 0004). So the copy is complete at once: ``filesCopyPending`` is always false.

Reading the files is what copying needs: the caller must be able to read the source's
contents (a gated repository's gate applies), exactly what ``git clone`` would ask.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from nbopen.access.policy import Decision, Level, Principal, decide_repo, require_repo
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, PermissionDenied
from nbopen.core.names import validate_repo_name
from nbopen.repos import moves
from nbopen.repos.models import Repository
from nbopen.repos.services import target_namespace
from nbopen.repos.writes import repositories


@transaction.atomic
def repo_duplicate(
    *,
    actor: Principal,
    source: Repository,
    owner: str | None,
    name: str,
    private: bool | None = None,
) -> Repository:
    """Copy ``source`` to ``owner/name`` (default owner: the actor); ``private`` None keeps
    the source's visibility. AlreadyExists when the name is taken."""
    require_repo(actor, source, Level.READ)
    if not actor.is_authenticated or actor.user is None:
        raise PermissionDenied("Sign in to duplicate a repository")
    if decide_repo(actor, source, Level.READ, content=True) is not Decision.ALLOW:
        raise PermissionDenied("This repository is gated: request access to it first")
    validate_repo_name(name)
    namespace = target_namespace(actor, owner, name, source.type)
    try:
        with transaction.atomic():
            copy = Repository.objects.create(
                owner=namespace,
                name=name,
                name_lower=name.lower(),
                type=source.type,
                private=source.private if private is None else bool(private),
                description=source.description,
                license=source.license,
                tags=list(source.tags),
                card_data=dict(source.card_data),
                default_branch=source.default_branch,
                created_by=actor.user,
                pushed_at=source.pushed_at,
            )
    except IntegrityError as exc:
        raise AlreadyExists(f"Repository {namespace.name}/{name} already exists") from exc
    moves.release_name(owner=namespace, name=name, repo_type=copy.type)
    repositories.initialize_fork(source=source, fork=copy)
    events.record(
        "repo.create",
        actor=actor.user,
        repository=copy,
        payload={"type": copy.type, "private": copy.private},
    )
    events.record(
        "repo.duplicate",
        actor=actor.user,
        repository=copy,
        payload={"forkee_id": copy.pk},
    )  # a duplicated dataset is converted by the datasets app's listener on this event
    return copy
