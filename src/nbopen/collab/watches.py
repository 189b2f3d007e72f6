"""Watches of repositories: what a user wants to hear about in their dashboard feed."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from nbopen.access.policy import Decision, Level, Principal, decide_repo, visible_repositories
from nbopen.accounts.models import User
from nbopen.collab.follows import _need_writer
from nbopen.collab.models import Watch
from nbopen.core import events
from nbopen.core.errors import InvalidInput, NotFound
from nbopen.repos.models import Repository


@transaction.atomic
def watch_set(*, actor: Principal, repo: Repository, watching: bool) -> int:
    """Watch or unwatch ``repo``; returns its watcher count.

    One must be able to read a repository to watch it (a private one the actor cannot read is
    "not found", exactly like its page). Only real changes are logged (``repo.watch`` /
    ``repo.unwatch``).
    """
    if decide_repo(actor, repo, Level.READ) is not Decision.ALLOW and actor.is_authenticated:
        raise NotFound(gettext_noop("Repository %(repo)s not found"), repo=repo.full_name)
    user = _need_writer(actor, "watch a repository")
    changed = False
    if watching:
        try:
            with transaction.atomic():
                _, changed = Watch.objects.get_or_create(user=user, repository=repo)
        except IntegrityError:
            changed = False
    else:
        changed = Watch.objects.filter(user=user, repository=repo).delete()[0] > 0
    if changed:
        events.record("repo.watch" if watching else "repo.unwatch", actor=user, repository=repo)
    return watcher_count(repo)


def watcher_count(repo: Repository) -> int:
    return Watch.objects.filter(repository=repo).count()


def is_watching(*, user_id: int | None, repo: Repository) -> bool:
    return user_id is not None and Watch.objects.filter(user_id=user_id, repository=repo).exists()


def watchers(repo: Repository) -> QuerySet[User]:
    """Active users watching ``repo`` (callers check the viewer may read ``repo``)."""
    return User.objects.filter(is_active=True, watching__repository=repo).order_by(
        "-watching__created_at", "-pk"
    )


def watched_repositories(*, principal: Principal, user_id: int) -> QuerySet[Repository]:
    """What ``user_id`` watches, newest first, limited to what ``principal`` may read."""
    return (
        visible_repositories(principal)
        .filter(watches__user_id=user_id)
        .order_by("-watches__created_at")
    )


@transaction.atomic
def watch_level_set(*, actor: Principal, repo: Repository, level: str) -> str:
    """Set how ``actor`` watches ``repo`` (participating / all / ignore), watching it if
    needed. "ignore" keeps the row: it is what silences even mentions."""
    if level not in Watch.Level.values:
        raise InvalidInput(gettext_noop("The watch level must be participating, all or ignore"))
    watch_set(actor=actor, repo=repo, watching=True)
    assert actor.user is not None
    Watch.objects.filter(user=actor.user, repository=repo).update(level=level)
    return level


def watch_level(*, user_id: int | None, repo: Repository) -> str | None:
    """The user's watch level of ``repo``, None when not watching."""
    if user_id is None:
        return None
    level = Watch.objects.filter(user_id=user_id, repository=repo).values_list("level", flat=True)
    return next(iter(level), None)
