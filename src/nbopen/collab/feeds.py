"""Activity feeds read from the event log: per user, per organization, and a personal dashboard.

Privacy is part of the query, never a filter applied to a fetched page: an event about a
repository is kept only if the repository is in the policy's ``visible_repositories`` for the
viewer (so a private repository's events reach only those who may read it, and a deleted
repository's events reach nobody). Pages and counts therefore stay right.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from nbopen.access.policy import Principal, visible_repositories
from nbopen.collab.models import Follow, Watch
from nbopen.core.models import Event
from nbopen.orgs.models import Membership

# What is worth showing to others. Tokens, settings and membership changes are not.
FEED_KINDS = (
    "repo.create",
    "repo.push",
    "repo.like",
    "repo.watch",
    "org.create",
    "user.follow",
)
MAX_PER_PAGE = 100


def _visible(viewer: Principal, events: QuerySet[Event]) -> QuerySet[Event]:
    visible_ids = visible_repositories(viewer).order_by().values("pk")
    return events.filter(kind__in=FEED_KINDS).filter(
        Q(repository_id__isnull=True) | Q(repository_id__in=visible_ids)
    )


def user_feed(viewer: Principal, user_id: int) -> QuerySet[Event]:
    """What the user did, newest first, as ``viewer`` may see it."""
    return _visible(viewer, Event.objects.filter(actor_id=user_id)).order_by("-id")


def org_feed(viewer: Principal, org_id: int) -> QuerySet[Event]:
    """What happened in and to an organization (its repositories, its follows), newest first."""
    return _visible(viewer, Event.objects.filter(organization_id=org_id)).order_by("-id")


def dashboard_feed(viewer: Principal) -> QuerySet[Event]:
    """The signed-in viewer's dashboard: events by the users they follow, in the organizations
    they follow or belong to, and on the repositories they watch; their own actions are left
    out (they know what they did). Empty for anonymous viewers."""
    if not viewer.is_authenticated or viewer.user is None:
        return Event.objects.none()
    me = viewer.user.pk
    followed = Follow.objects.filter(follower_id=me)
    users = followed.filter(target__user__isnull=False).values("target__user_id")
    orgs = followed.filter(target__organization__isnull=False).values("target__organization_id")
    member_of = Membership.objects.filter(user_id=me).values("organization_id")
    watched = Watch.objects.filter(user_id=me).values("repository_id")
    wanted = (
        Q(actor_id__in=users)
        | Q(organization_id__in=orgs)
        | Q(organization_id__in=member_of)
        | Q(repository_id__in=watched)
    )
    return _visible(viewer, Event.objects.filter(wanted).exclude(actor_id=me)).order_by("-id")


def page_of(events: QuerySet[Event], *, page: int = 1, per_page: int = 20) -> list[Event]:
    """One page of a feed (``page`` from 1)."""
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    start = (page - 1) * per_page
    return list(events[start : start + per_page])


def as_json(event: Event) -> dict[str, object]:
    """The public shape of a feed entry (payloads are whitelisted: they may hold internals)."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    data: dict[str, object] = {
        "id": event.pk,
        "kind": event.kind,
        "actor": event.actor_name or None,
        "repo": event.repository_name or None,
        "created_at": event.created_at.isoformat(),
    }
    if event.kind in {"user.follow", "org.create"}:
        data["target"] = payload.get("name")
    if event.kind == "user.follow":
        data["target_kind"] = payload.get("kind")
    if event.kind == "repo.push":
        data["refs"] = [r.get("ref") for r in payload.get("refs", []) if isinstance(r, dict)]
    return data
