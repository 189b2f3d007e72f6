"""Likes. Every front door (web, Hub API, CLI) calls these; the policy decides who may."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from nbopen.access.policy import Decision, Level, Principal, decide_repo
from nbopen.collab.models import Like
from nbopen.core import events
from nbopen.core.errors import NotFound, PermissionDenied
from nbopen.repos.models import Repository


@transaction.atomic
def like_set(*, actor: Principal, repo: Repository, liked: bool) -> int:
    """Like or unlike ``repo`` as ``actor``; returns the repository's like count.

    Idempotent: liking twice is one like, and only a real change is written to the event log
    (``repo.like`` / ``repo.unlike``, which the search index and trending follow).
    Needs read access to the repository (a private one the actor cannot see is "not found")
    and a credential that may write (a read-only token may not).
    """
    if not actor.is_authenticated or actor.user is None:
        raise PermissionDenied(gettext_noop("Sign in to like a repository"))
    if decide_repo(actor, repo, Level.READ) is not Decision.ALLOW:
        raise NotFound(gettext_noop("Repository %(repo)s not found"), repo=repo.full_name)
    if actor.scope == "read":
        raise PermissionDenied(gettext_noop("A read-only token cannot like repositories"))
    changed = False
    if liked:
        try:
            with transaction.atomic():
                _, changed = Like.objects.get_or_create(user=actor.user, repository=repo)
        except IntegrityError:  # a concurrent like of the same repository by the same user
            changed = False
    else:
        changed = Like.objects.filter(user=actor.user, repository=repo).delete()[0] > 0
    if changed:
        events.record("repo.like" if liked else "repo.unlike", actor=actor.user, repository=repo)
    return like_count(repo)


def like_count(repo: Repository) -> int:
    return Like.objects.filter(repository=repo).count()


def has_liked(*, user_id: int | None, repo: Repository) -> bool:
    return user_id is not None and Like.objects.filter(user_id=user_id, repository=repo).exists()


def liked_repositories(*, principal: Principal, user_id: int) -> QuerySet[Repository]:
    """What ``user_id`` liked, newest first, limited to what ``principal`` may see."""
    from nbopen.access.policy import visible_repositories

    return (
        visible_repositories(principal)
        .filter(likes__user_id=user_id)
        .order_by("-likes__created_at")
    )
