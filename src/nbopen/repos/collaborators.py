"""Collaborators: people given a role on one repository without joining its owner.

This is how a personal repository gets co-maintainers, and how an enterprise lets a
university researcher into one private project without opening the whole organization (the
产学研 case). Roles are the organization roles' repository levels: read (clone, download),
write (push), admin (settings, collaborators, delete). GitHub's names ``pull``/``push``/
``maintain`` are accepted as aliases. Only admins of the repository manage collaborators; the
permission policy (:mod:`nbopen.access.policy`) reads the grants for every channel.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from nbopen.access.policy import Level, Principal, require_repo
from nbopen.access.roles import normalize_role
from nbopen.accounts.models import User
from nbopen.core import events
from nbopen.core.errors import InvalidInput, NotFound
from nbopen.repos.models import Collaborator, Repository


def collaborators_of(repo: Repository) -> QuerySet[Collaborator]:
    return (
        Collaborator.objects.filter(repository=repo)
        .select_related("user")
        .order_by("user__username")
    )


@transaction.atomic
def collaborator_set(*, actor: Principal, repo: Repository, user: User, role: str) -> Collaborator:
    """Give ``user`` ``role`` on ``repo`` (or change it). Repository admins only."""
    require_repo(actor, repo, Level.ADMIN)
    role = normalize_role(role)
    if repo.owner.user_id == user.pk:
        raise InvalidInput(
            gettext_noop("%(user)s owns %(repo)s already"), user=user.username, repo=repo.full_name
        )
    if not user.is_active:
        raise NotFound(gettext_noop("No user named '%(user)s'"), user=user.username)
    grant, _ = Collaborator.objects.update_or_create(
        repository=repo, user=user, defaults={"role": role}
    )
    events.record(
        "repo.collaborator_set",
        actor=actor.user,
        repository=repo,
        payload={"user": user.username, "role": role},
    )
    return grant


@transaction.atomic
def collaborator_remove(*, actor: Principal, repo: Repository, user: User) -> None:
    require_repo(actor, repo, Level.ADMIN)
    deleted, _ = Collaborator.objects.filter(repository=repo, user=user).delete()
    if not deleted:
        raise NotFound(
            gettext_noop("%(user)s is not a collaborator on %(repo)s"),
            user=user.username,
            repo=repo.full_name,
        )
    events.record(
        "repo.collaborator_remove",
        actor=actor.user,
        repository=repo,
        payload={"user": user.username},
    )
