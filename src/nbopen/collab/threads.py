"""Issues and pull requests (the Hub's discussions): the one home of every thread write.

Web pages, the Hub API and the demo loader call these keyword-only functions; each checks
the one policy (:mod:`nbopen.access.policy`), writes its rows and appends the event in
OpenDigger's vocabulary (``issue.open`` … ``pull.review_comment``: the kinds
``analytics.pipeline.KIND_MAP`` maps to IssuesEvent, IssueCommentEvent, PullRequestEvent…),
so platform repositories get activity and OpenRank like imported GitHub ones.

Who may do what: anyone signed in who can read the repository opens threads and comments
(a locked thread: writers only); the author or a writer closes, reopens, renames and edits
the description; labels, assignees, lock and pin need write. A read-only token reads only.
A private repository's threads are "not found" to whoever cannot read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from nbopen.access.policy import Level, Principal, repo_level, require_repo
from nbopen.accounts.models import User
from nbopen.collab import labels as label_rules
from nbopen.collab import references
from nbopen.collab.models import (
    Comment,
    CommentEdit,
    Label,
    Thread,
    ThreadCounter,
    TimelineEntry,
)
from nbopen.core import events
from nbopen.core.errors import InvalidInput, NotFound, PermissionDenied
from nbopen.repos.models import Repository

MAX_TITLE = 256
MAX_BODY = 65536


def participant(actor: Principal, repo: Repository) -> User:
    """The signed-in user who may take part in ``repo``'s threads (read access, a credential
    that may write)."""
    require_repo(actor, repo, Level.READ)
    if actor.user is None or not actor.is_authenticated:
        raise PermissionDenied("Sign in to take part in discussions")
    if actor.scope == "read":
        raise PermissionDenied("A read-only token cannot write to discussions")
    return actor.user


def _is_writer(actor: Principal, repo: Repository) -> bool:
    return repo_level(actor, repo) >= Level.WRITE


def _require_author_or_writer(actor: Principal, thread: Thread) -> User:
    user = participant(actor, thread.repository)
    if thread.author_id != user.pk and not _is_writer(actor, thread.repository):
        raise PermissionDenied("Only the author or a maintainer may change this discussion")
    return user


def require_writer(actor: Principal, repo: Repository) -> User:
    """The signed-in user with write access to ``repo`` (labels, milestones, assignment)."""
    user = participant(actor, repo)
    require_repo(actor, repo, Level.WRITE)
    return user


_require_writer = require_writer


def _clean_title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise InvalidInput("A title is required")
    title = " ".join(title.split())
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"The title is longer than {MAX_TITLE} characters")
    return title


def clean_body(body: object, *, required: bool = False) -> str:
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise InvalidInput("The text must be a string")
    if "\x00" in body:
        raise InvalidInput("The text may not contain NUL characters")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"The text is longer than {MAX_BODY} characters")
    if required and not body.strip():
        raise InvalidInput("The comment is empty")
    return body


def next_number(repo: Repository) -> int:
    """The next thread number of ``repo``, inside the caller's transaction (see
    :class:`~nbopen.collab.models.ThreadCounter` for why this is safe under concurrency)."""
    ThreadCounter.objects.get_or_create(repository=repo)
    ThreadCounter.objects.filter(repository=repo).update(last=F("last") + 1)
    return int(ThreadCounter.objects.values_list("last", flat=True).get(repository=repo))


def event_payload(thread: Thread, **extra: Any) -> dict[str, Any]:
    """What analytics reads from a thread event (``analytics.pipeline``'s contract)."""
    author = thread.author
    return {
        "issue_id": thread.pk,
        "issue_number": thread.number,
        "issue_author_id": thread.author_id,
        "issue_author": author.username if author is not None else "",
        "issue_created_at": thread.created_at.isoformat(),
        "title": thread.title,
        **extra,
    }


def _kind(thread: Thread, action: str) -> str:
    return f"{'pull' if thread.is_pull else 'issue'}.{action}"


def timeline(thread: Thread, kind: str, actor: User | None, **data: Any) -> TimelineEntry:
    return TimelineEntry.objects.create(thread=thread, kind=kind, actor=actor, data=data)


@transaction.atomic
def create_thread(
    *,
    actor: Principal,
    repo: Repository,
    title: str,
    body: str = "",
    kind: str = Thread.Kind.ISSUE,
    pull_fields: dict[str, Any] | None = None,
) -> Thread:
    """Open an issue (or, with ``kind=pull`` and ``pull_fields``, the row of a pull request:
    :mod:`.pulls` creates those). Numbers are shared by both kinds."""
    user = participant(actor, repo)
    title, body = _clean_title(title), clean_body(body)
    thread = Thread.objects.create(
        repository=repo,
        number=next_number(repo),
        kind=kind,
        title=title,
        author=user,
        **(pull_fields or {}),
    )
    Comment.objects.create(thread=thread, author=user, body=body, opening=True)
    events.record(_kind(thread, "open"), actor=user, repository=repo, payload=event_payload(thread))
    references.record_mentions(thread=thread, actor=user, text=f"{title}\n{body}")
    return thread


def thread_get(*, actor: Principal, repo: Repository, number: int) -> Thread:
    """The thread ``number`` of ``repo`` as ``actor`` may see it (NotFound otherwise)."""
    require_repo(actor, repo, Level.READ)
    thread = (
        Thread.objects.select_related(
            "author", "repository", "head_repository", "merged_by", "milestone"
        )
        .filter(repository=repo, number=number)
        .first()
    )
    if thread is None:
        raise NotFound(f"Discussion #{number} not found")
    return thread


def thread_list(
    *,
    actor: Principal,
    repo: Repository,
    kind: str | None = None,
    state: str | None = None,
    author: str | None = None,
    label: str | None = None,
    milestone: str | None = None,
) -> QuerySet[Thread]:
    """``repo``'s threads, newest first (pinned ones first), filtered (``milestone``: an id
    or a title; ``none``: threads without one)."""
    require_repo(actor, repo, Level.READ)
    qs = Thread.objects.filter(repository=repo).select_related("author")
    if kind in {Thread.Kind.ISSUE, Thread.Kind.PULL}:
        qs = qs.filter(kind=kind)
    if state == "open":
        qs = qs.filter(state=Thread.State.OPEN)
    elif state == "closed":
        qs = qs.exclude(state=Thread.State.OPEN)
    if author:
        qs = qs.filter(author__username__iexact=author)
    if label:
        qs = qs.filter(labels__name_lower=label.lower())
    if milestone:
        qs = filter_milestones(qs, [milestone])
    return qs.order_by("-pinned", "-number")


def filter_milestones(qs: QuerySet[Thread], refs: list[str]) -> QuerySet[Thread]:
    """Threads in any of the milestones ``refs`` (ids or titles; ``none``: no milestone)."""
    where = Q(pk__in=[])
    for ref in (r.strip() for r in refs if r.strip()):
        if ref.lower() == "none":
            where |= Q(milestone__isnull=True)
        elif ref.isdigit() and int(ref) < 2**63:
            where |= Q(milestone_id=int(ref)) | Q(milestone__title_lower=ref.lower())
        else:
            where |= Q(milestone__title_lower=ref.lower())
    return qs.filter(where)


def opening(thread: Thread) -> Comment:
    return Comment.objects.filter(thread=thread, opening=True).first() or Comment(
        thread=thread, author=thread.author, body="", opening=True
    )


@transaction.atomic
def comment_add(*, actor: Principal, thread: Thread, body: str) -> Comment:
    """A comment on ``thread`` (a locked thread takes comments from writers only)."""
    user = participant(actor, thread.repository)
    body = clean_body(body, required=True)
    if thread.locked and not _is_writer(actor, thread.repository):
        raise PermissionDenied("This discussion is locked")
    comment = Comment.objects.create(thread=thread, author=user, body=body)
    Thread.objects.filter(pk=thread.pk).update(updated_at=timezone.now())
    events.record(
        "issue.comment",
        actor=user,
        repository=thread.repository,
        payload=event_payload(thread, comment_id=comment.pk, is_pull=thread.is_pull),
    )
    references.record_mentions(thread=thread, actor=user, text=body)
    return comment


def _edited(thread: Thread, user: User, **extra: Any) -> None:
    """Log a change of a thread's text (a rename, an edited or hidden comment) as
    ``thread.edit``: search re-indexes the thread; not an issue/pull event, so it notifies
    nobody, sends no webhook and is no activity in analytics."""
    events.record(
        "thread.edit",
        actor=user,
        repository=thread.repository,
        payload=event_payload(thread, **extra),
    )


def _comment_of(thread: Thread, comment_id: int) -> Comment:
    comment = Comment.objects.filter(thread=thread, pk=comment_id).first()
    if comment is None:
        raise NotFound("Comment not found")
    return comment


@transaction.atomic
def comment_edit(*, actor: Principal, thread: Thread, comment_id: int, body: str) -> Comment:
    """Change a comment's text (its author, or an admin); the old text joins its history."""
    user = participant(actor, thread.repository)
    comment = _comment_of(thread, comment_id)
    if comment.author_id != user.pk and repo_level(actor, thread.repository) < Level.ADMIN:
        raise PermissionDenied("Only the author may edit this comment")
    if comment.hidden:
        raise InvalidInput("A hidden comment cannot be edited")
    body = clean_body(body, required=not comment.opening)
    if body != comment.body:
        CommentEdit.objects.create(comment=comment, body=comment.body, editor=user)
        comment.body, comment.edited_by = body, user
        comment.save(update_fields=["body", "edited_by", "updated_at"])
        _edited(thread, user, comment_id=comment.pk)
    return comment


@transaction.atomic
def comment_hide(*, actor: Principal, thread: Thread, comment_id: int) -> Comment:
    """Hide a comment (a maintainer, or its author); its text is kept in the edit history
    for the repository's administrators, never shown again."""
    user = participant(actor, thread.repository)
    comment = _comment_of(thread, comment_id)
    if comment.author_id != user.pk and not _is_writer(actor, thread.repository):
        raise PermissionDenied("Only a maintainer may hide this comment")
    if not comment.hidden:
        CommentEdit.objects.create(comment=comment, body=comment.body, editor=user)
        comment.hidden, comment.body, comment.edited_by = True, "", user
        comment.save(update_fields=["hidden", "body", "edited_by", "updated_at"])
        _edited(thread, user, comment_id=comment.pk)
    return comment


@transaction.atomic
def rename(*, actor: Principal, thread: Thread, title: str) -> TimelineEntry | None:
    user = _require_author_or_writer(actor, thread)
    title = _clean_title(title)
    if title == thread.title:
        return None
    old, thread.title = thread.title, title
    thread.save(update_fields=["title", "updated_at"])
    _edited(thread, user)
    return timeline(thread, "title-change", user, **{"from": old, "to": title})


@transaction.atomic
def set_state(
    *,
    actor: Principal,
    thread: Thread,
    state: str,
    reason: str = Thread.Reason.COMPLETED,
    comment: str = "",
) -> TimelineEntry | None:
    """Close (with a reason: completed / not planned) or reopen; an optional comment first."""
    user = _require_author_or_writer(actor, thread)
    if state not in {Thread.State.OPEN, Thread.State.CLOSED}:
        raise InvalidInput("The status must be 'open' or 'closed'")
    if reason not in {Thread.Reason.COMPLETED, Thread.Reason.NOT_PLANNED}:
        raise InvalidInput("The reason must be 'completed' or 'not_planned'")
    if thread.state == Thread.State.MERGED:
        raise InvalidInput("A merged pull request cannot be reopened or closed")
    if comment.strip():
        comment_add(actor=actor, thread=thread, body=comment)
    if thread.state == state:
        return None
    return _apply_state(thread, user, state, reason)


def _apply_state(thread: Thread, user: User | None, state: str, reason: str) -> TimelineEntry:
    closing = state == Thread.State.CLOSED
    thread.state = state
    thread.state_reason = reason if closing else Thread.Reason.NONE
    thread.closed_at = timezone.now() if closing else None
    thread.save(update_fields=["state", "state_reason", "closed_at", "updated_at"])
    events.record(
        _kind(thread, "close" if closing else "reopen"),
        actor=user,
        repository=thread.repository,
        payload=event_payload(thread, reason=thread.state_reason),
    )
    return timeline(thread, "status-change", user, status=state, reason=thread.state_reason)


def close_by_reference(*, thread: Thread, actor: User | None, source: str) -> bool:
    """Close an open issue named by ``fixes #N`` in ``source`` (a commit that reached the
    default branch, or a merged pull request): the push already passed the policy."""
    if thread.is_pull or thread.state != Thread.State.OPEN:
        return False
    entry = _apply_state(thread, actor, Thread.State.CLOSED, Thread.Reason.COMPLETED)
    entry.data["source"] = source
    entry.save(update_fields=["data"])
    return True


@transaction.atomic
def set_flags(
    *, actor: Principal, thread: Thread, locked: bool | None = None, pinned: bool | None = None
) -> None:
    """Lock (only writers comment) or pin (listed first) a thread: writers only."""
    user = _require_writer(actor, thread.repository)
    for field, value in (("locked", locked), ("pinned", pinned)):
        if value is not None and getattr(thread, field) != value:
            setattr(thread, field, value)
            thread.save(update_fields=[field, "updated_at"])
            timeline(thread, field if value else f"un{field}", user)


@transaction.atomic
def label_create(
    *, actor: Principal, repo: Repository, name: str, color: str = "#6e7781", description: str = ""
) -> Label:
    _require_writer(actor, repo)
    name = name.strip()
    if not name or len(name) > 64:
        raise InvalidInput("A label needs a name of at most 64 characters")
    label, _ = Label.objects.get_or_create(
        repository=repo,
        name_lower=name.lower(),
        defaults={"name": name, "color": color, "description": description},
    )
    return label


@transaction.atomic
def set_labels(
    *, actor: Principal, thread: Thread, names: Iterable[str] = (), ids: Iterable[int] = ()
) -> list[Label]:
    """Replace the thread's labels by ``names`` and ``ids`` (labels of its repository or of
    the organization that owns it)."""
    user = _require_writer(actor, thread.repository)
    labels = label_rules.resolve(thread.repository, names=list(names), ids=list(ids))
    before = set(thread.labels.values_list("name", flat=True))
    thread.labels.set(labels)
    after = {label.name for label in labels}
    if before != after:
        timeline(
            thread, "labels", user, added=sorted(after - before), removed=sorted(before - after)
        )
    return labels


@transaction.atomic
def set_assignees(*, actor: Principal, thread: Thread, usernames: Iterable[str]) -> list[User]:
    """Replace the assignees (users who can read the repository)."""
    user = _require_writer(actor, thread.repository)
    names = {n.strip().lower() for n in usernames if n.strip()}
    users = [u for n in sorted(names) if (u := User.objects.filter(username__iexact=n).first())]
    for each in users:
        if repo_level(Principal(user=each), thread.repository) < Level.READ:
            raise InvalidInput(f"{each.username} cannot read this repository")
    if len(users) != len(names):
        raise InvalidInput("Unknown users among the assignees")
    before = set(thread.assignees.values_list("pk", flat=True))
    thread.assignees.set(users)
    timeline(thread, "assignees", user, assignees=sorted(u.username for u in users))
    added = sorted(u.pk for u in users if u.pk not in before)
    if added:  # the newly assigned hear of it (notifications); analytics ignores the kind
        events.record(
            _kind(thread, "assign"),
            actor=user,
            repository=thread.repository,
            payload=event_payload(thread, assignee_ids=added),
        )
    return users


def comments(thread: Thread) -> QuerySet[Comment]:
    return Comment.objects.filter(thread=thread).select_related("author", "edited_by")


def edit_history(comment: Comment) -> list[CommentEdit]:
    return list(comment.edits.select_related("editor"))
