"""Follows of users and organizations. Web pages and the JSON API both call these."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from nbopen.access.policy import Principal
from nbopen.accounts.models import Namespace, User
from nbopen.collab.models import Follow
from nbopen.core import events
from nbopen.core.errors import InvalidInput, PermissionDenied


def _need_writer(actor: Principal, what: str) -> User:
    if not actor.is_authenticated or actor.user is None:
        raise PermissionDenied(f"Sign in to {what}")
    if actor.scope == "read":
        raise PermissionDenied(f"A read-only token cannot {what}")
    return actor.user


@transaction.atomic
def follow_set(*, actor: Principal, target: Namespace, following: bool) -> int:
    """Follow or unfollow the owner ``target``; returns its follower count.

    Idempotent; only a real change is logged (``user.follow`` / ``user.unfollow``, with the
    organization id when the target is an organization, so it shows in that org's feed).
    Owners are public pages, so there is nothing to hide here; one cannot follow oneself.
    """
    user = _need_writer(actor, "follow")
    if target.user_id == user.pk:
        raise InvalidInput("You cannot follow yourself")
    changed = False
    if following:
        try:
            with transaction.atomic():
                _, changed = Follow.objects.get_or_create(follower=user, target=target)
        except IntegrityError:  # the same follow arriving twice at once
            changed = False
    else:
        changed = Follow.objects.filter(follower=user, target=target).delete()[0] > 0
    if changed:
        events.record(
            "user.follow" if following else "user.unfollow",
            actor=user,
            organization_id=target.organization_id,
            payload={"name": target.name, "kind": target.kind},
        )
    return follower_count(target)


def follower_count(target: Namespace) -> int:
    return Follow.objects.filter(target=target).count()


def following_count(user_id: int) -> int:
    return Follow.objects.filter(follower_id=user_id).count()


def is_following(*, user_id: int | None, target: Namespace) -> bool:
    return (
        user_id is not None and Follow.objects.filter(follower_id=user_id, target=target).exists()
    )


def followers(target: Namespace) -> QuerySet[User]:
    """Active users following ``target``, most recent first."""
    return User.objects.filter(is_active=True, follows__target=target).order_by(
        "-follows__created_at", "-pk"
    )


def following(user_id: int) -> QuerySet[Namespace]:
    """Owners (users and organizations) that ``user_id`` follows, most recent first."""
    return Namespace.objects.filter(followers__follower_id=user_id).order_by(
        "-followers__created_at", "-pk"
    )
