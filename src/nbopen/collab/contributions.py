"""A person's contributions as a viewer may see them: the calendar and organizations' work.

Both read the platform's own event log (``repo.push`` with its commit count, ``repo.create``,
``org.create``), never git history: a commit authored elsewhere and pushed here counts for the
one who pushed it, as on Gitee. Privacy is the feeds' rule: an event about a repository the
viewer may not read (``visible_repositories``) is left out of the query, so neither a square's
count nor a total reveals private work.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Greatest, TruncDate
from django.utils import timezone

from nbopen.access.policy import Principal, visible_repositories
from nbopen.core.models import Event
from nbopen.orgs.models import Membership
from nbopen.repos.models import Repository

WEEKS = 52
# Kinds that count, and how: a push counts its new commits (at least one), others one each.
CONTRIBUTION_KINDS = ("repo.push", "repo.create", "org.create")
# Repository events that make an organization's repository "one the user contributed to".
_WORK_KINDS = ("repo.push", "repo.create")


@dataclass(frozen=True)
class Day:
    day: date
    count: int

    @property
    def level(self) -> int:
        """0–4, the shade of the square (GitHub's quartile-like steps, fixed so they read
        the same on every profile)."""
        if self.count <= 0:
            return 0
        if self.count < 3:
            return 1
        if self.count < 6:
            return 2
        if self.count < 10:
            return 3
        return 4


@dataclass(frozen=True)
class Calendar:
    weeks: list[list[Day | None]]  # columns of Sunday..Saturday; None past today
    total: int
    first: date
    last: date


def _visible_events(viewer: Principal, user_id: int) -> QuerySet[Event]:
    visible_ids = visible_repositories(viewer).order_by().values("pk")
    return Event.objects.filter(actor_id=user_id, kind__in=CONTRIBUTION_KINDS).filter(
        Q(repository_id__isnull=True) | Q(repository_id__in=visible_ids)
    )


def calendar(
    viewer: Principal,
    user_id: int,
    *,
    tz: zoneinfo.ZoneInfo | None = None,
    today: date | None = None,
) -> Calendar:
    """The last 52 weeks (plus this week so far) of ``user_id``'s contributions, by day in
    ``tz`` (the viewer's time zone: a day is the reader's day)."""
    zone = tz or timezone.get_current_timezone()
    today = today or timezone.now().astimezone(zone).date()
    # Columns start on Sunday, as GitHub's and Gitee's calendars do.
    start = today - timedelta(days=(today.weekday() + 1) % 7 + 7 * WEEKS)
    since = datetime.combine(start, datetime.min.time(), tzinfo=zone)
    # Summed by day in the database (one row per active day, however many events): a push
    # weighs its new commits (at least one), anything else one.
    commits = Cast(KeyTextTransform("commits", "payload"), IntegerField())
    weight = Case(
        When(kind="repo.push", then=Greatest(Coalesce(commits, Value(0)), Value(1))),
        default=Value(1),
    )
    rows = (
        _visible_events(viewer, user_id)
        .filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(n=Sum(weight))
        .order_by()
    )
    counts: dict[date, int] = {row["day"]: int(row["n"] or 0) for row in rows}
    weeks: list[list[Day | None]] = []
    cursor = start
    while cursor <= today:
        week: list[Day | None] = []
        for _ in range(7):
            week.append(Day(cursor, counts.get(cursor, 0)) if cursor <= today else None)
            cursor += timedelta(days=1)
        weeks.append(week)
    return Calendar(weeks=weeks, total=sum(counts.values()), first=start, last=today)


def organization_repositories(viewer: Principal, user_id: int) -> QuerySet[Repository]:
    """Organizations' repositories the user works on, as ``viewer`` may see them.

    "Works on" means the user is a member of the owning organization or pushed to or created
    the repository; a profile counts these apart from the user's own repositories, so someone
    whose work lives in organizations does not show an empty profile.
    """
    member_of = Membership.objects.filter(user_id=user_id).values("organization_id")
    worked_on = (
        Event.objects.filter(actor_id=user_id, kind__in=_WORK_KINDS, repository_id__isnull=False)
        .order_by()
        .values("repository_id")
    )
    return visible_repositories(viewer).filter(
        Q(owner__organization_id__in=member_of) | Q(pk__in=worked_on),
        owner__organization__isnull=False,
    )


def pinnable_repositories(user_id: int) -> QuerySet[Repository]:
    """What a user may pin: their own repositories and organizations' ones they work on, as
    they themselves may see them."""
    from nbopen.accounts.models import User

    me = Principal(user=User.objects.get(pk=user_id))
    own = visible_repositories(me).filter(owner__user_id=user_id)
    org = organization_repositories(me, user_id)
    return (own | org).distinct()


def pinned(viewer: Principal, ids: list[int]) -> list[Repository]:
    """The pinned repositories the viewer may read, in the order the owner chose."""
    found = {
        r.pk: r for r in visible_repositories(viewer).filter(pk__in=ids).select_related("owner")
    }
    return [found[i] for i in ids if i in found]
