"""Milestones of a repository: a title, a due date, open or closed, and the threads (issues
and pull requests) assigned to one. Writers manage them and assign threads; anyone who can
read the repository sees them. Progress is counted from the threads' states at read time, so
closing or merging a thread moves the bar without a second write to forget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from nbopen.access.policy import Level, Principal, require_repo
from nbopen.collab import threads
from nbopen.collab.models import Milestone, Thread
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound
from nbopen.repos.models import Repository

MAX_TITLE = 128
MAX_ID = 2**63  # a larger number is no row's id (and would overflow PostgreSQL's bigint)
MAX_DESCRIPTION = 65536


@dataclass(frozen=True)
class Progress:
    """Closed and total threads of a milestone (closed includes merged pull requests)."""

    open: int
    closed: int

    @property
    def total(self) -> int:
        return self.open + self.closed

    @property
    def percent(self) -> int:
        return round(100 * self.closed / self.total) if self.total else 0


def _counted(qs: QuerySet[Milestone]) -> QuerySet[Milestone]:
    return qs.annotate(
        open_count=Count("threads", filter=Q(threads__state=Thread.State.OPEN)),
        closed_count=Count("threads", filter=~Q(threads__state=Thread.State.OPEN)),
    )


def progress(milestone: Milestone) -> Progress:
    """The milestone's progress as counted when the selectors below read it (else counted
    now): a list page costs one query, not one per milestone."""
    counted = getattr(milestone, "open_count", None), getattr(milestone, "closed_count", None)
    if counted[0] is not None and counted[1] is not None:
        return Progress(open=int(counted[0]), closed=int(counted[1]))
    found = milestone.threads.aggregate(
        o=Count("pk", filter=Q(state=Thread.State.OPEN)),
        c=Count("pk", filter=~Q(state=Thread.State.OPEN)),
    )
    return Progress(open=int(found["o"] or 0), closed=int(found["c"] or 0))


def milestone_list(
    *, actor: Principal, repo: Repository, state: str | None = None, name: str | None = None
) -> QuerySet[Milestone]:
    """``repo``'s milestones with their counts: open ones by due date (none last), then
    closed ones; ``state`` open|closed narrows, ``name`` matches the title."""
    require_repo(actor, repo, Level.READ)
    qs = Milestone.objects.filter(repository=repo)
    if state in {Milestone.State.OPEN, Milestone.State.CLOSED}:
        qs = qs.filter(state=state)
    if name:
        qs = qs.filter(title__icontains=name.strip())
    return _counted(qs).order_by("-state", "due_on", "id")


def milestone_choices(
    *, actor: Principal, repo: Repository, state: str | None = None
) -> QuerySet[Milestone]:
    """``repo``'s milestones for a filter or a picker: no counts, so a list page of a
    repository with 50,000 threads does not count them to fill a drop-down."""
    require_repo(actor, repo, Level.READ)
    qs = Milestone.objects.filter(repository=repo)
    if state in {Milestone.State.OPEN, Milestone.State.CLOSED}:
        qs = qs.filter(state=state)
    return qs.order_by("-state", "due_on", "id")


def milestone_get(*, actor: Principal, repo: Repository, ref: int | str) -> Milestone:
    """Milestone ``ref`` (an id, or a title as Gitea also accepts) of ``repo``."""
    require_repo(actor, repo, Level.READ)
    qs = _counted(Milestone.objects.filter(repository=repo))
    found = None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        number = int(ref)
        found = qs.filter(pk=number).first() if 0 < number < MAX_ID else None
    if found is None and isinstance(ref, str):
        found = qs.filter(title_lower=ref.strip().lower()).first()
    if found is None:
        raise NotFound(gettext_noop("Milestone not found"))
    return found


def _clean_title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise InvalidInput(gettext_noop("A milestone needs a title"))
    title = " ".join(title.split())
    if len(title) > MAX_TITLE:
        raise InvalidInput(gettext_noop("The title is longer than %(n)s characters"), n=MAX_TITLE)
    return title


def _clean_description(text: object) -> str:
    if text is None:
        return ""
    if not isinstance(text, str) or "\x00" in text or len(text) > MAX_DESCRIPTION:
        raise InvalidInput(gettext_noop("The description is not valid text"))
    return text


def parse_due(value: object) -> datetime | None:
    """A due date from an ISO date (the end of that day, UTC) or date-time; empty: none.

    Pages show the due *date* in UTC, so the date a maintainer picked is the date every
    reader sees, whatever their time zone (Gitea's UI shows the date alone too)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(
                gettext_noop("The due date %(value)s is not an ISO date"), value=value[:40]
            ) from None
        if len(value.strip()) == 10:  # a plain date: due at the end of that day
            parsed = datetime.combine(parsed.date(), time(23, 59, 59))
    else:
        raise InvalidInput(gettext_noop("The due date must be a string"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 1970 <= parsed.year <= 9999:
        raise InvalidInput(gettext_noop("The due date is out of range"))
    return parsed.astimezone(UTC)


def _save(milestone: Milestone) -> None:
    try:
        with transaction.atomic():
            milestone.save()
    except IntegrityError:
        raise AlreadyExists(
            gettext_noop("A milestone named %(title)s already exists"), title=milestone.title
        ) from None


@transaction.atomic
def milestone_create(
    *,
    actor: Principal,
    repo: Repository,
    title: object,
    description: object = "",
    due_on: object = None,
    state: object = Milestone.State.OPEN,
) -> Milestone:
    """A new milestone (writers)."""
    threads.require_writer(actor, repo)
    milestone = Milestone(repository=repo, description=_clean_description(description))
    milestone.title = _clean_title(title)
    milestone.title_lower = milestone.title.lower()
    milestone.due_on = parse_due(due_on)
    _set_state(milestone, state)
    _save(milestone)
    return milestone_get(actor=actor, repo=repo, ref=milestone.pk)


def _set_state(milestone: Milestone, state: object) -> None:
    if state not in {Milestone.State.OPEN, Milestone.State.CLOSED}:
        raise InvalidInput(gettext_noop("The state must be 'open' or 'closed'"))
    if milestone.state != state or milestone.pk is None:
        milestone.state = str(state)
        milestone.closed_at = timezone.now() if state == Milestone.State.CLOSED else None


_UNSET = object()


@transaction.atomic
def milestone_edit(
    *,
    actor: Principal,
    repo: Repository,
    ref: int | str,
    title: object = _UNSET,
    description: object = _UNSET,
    due_on: object = _UNSET,
    state: object = _UNSET,
) -> Milestone:
    """Change what is given of a milestone (writers); ``due_on=None`` removes the date."""
    threads.require_writer(actor, repo)
    milestone = milestone_get(actor=actor, repo=repo, ref=ref)
    if title is not _UNSET:
        milestone.title = _clean_title(title)
        milestone.title_lower = milestone.title.lower()
    if description is not _UNSET:
        milestone.description = _clean_description(description)
    if due_on is not _UNSET:
        milestone.due_on = parse_due(due_on)
    if state is not _UNSET:
        _set_state(milestone, state)
    _save(milestone)
    return milestone_get(actor=actor, repo=repo, ref=milestone.pk)


@transaction.atomic
def milestone_delete(*, actor: Principal, repo: Repository, ref: int | str) -> None:
    """Delete a milestone (writers); its threads stay, without a milestone."""
    threads.require_writer(actor, repo)
    milestone_get(actor=actor, repo=repo, ref=ref).delete()


@transaction.atomic
def set_milestone(*, actor: Principal, thread: Thread, ref: int | str | None) -> Milestone | None:
    """Assign ``thread`` to a milestone of its repository (writers); None or 0 removes it."""
    user = threads.require_writer(actor, thread.repository)
    milestone = None
    if ref not in (None, 0, "", "0"):
        assert ref is not None
        milestone = milestone_get(actor=actor, repo=thread.repository, ref=ref)
    if thread.milestone_id == (milestone.pk if milestone else None):
        return milestone
    before = thread.milestone.title if thread.milestone_id and thread.milestone else ""
    thread.milestone = milestone
    thread.save(update_fields=["milestone", "updated_at"])
    threads.timeline(
        thread, "milestone", user, **{"from": before, "to": milestone.title if milestone else ""}
    )
    return milestone
