"""The inbox: who hears of a thread event, reading and marking, and email.

Recipients of an event on a thread (never its actor): people @mentioned in the new text,
the newly assigned, requested reviewers, the thread's author and everyone who commented or
reviewed, and watchers of the repository at level "all"; a watcher at level "ignore" hears
nothing, not even mentions. Only users who may read the repository get a row, and rows are
filtered again at read time through the policy, so someone who lost access to a private
repository never sees its threads in the inbox or the API.

Email goes out through Django's mail backend when ``NBOPEN_SMTP_HOST`` is set (off by
default); ``NBOPEN_SMTP_PORT`` (25), ``NBOPEN_SMTP_USER``, ``NBOPEN_SMTP_PASSWORD``,
``NBOPEN_SMTP_TLS`` (STARTTLS) and ``NBOPEN_SMTP_FROM`` complete it.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core import mail
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_noop

from nbopen.access.policy import Decision, Level, Principal, decide_repo, visible_repositories
from nbopen.accounts.models import User
from nbopen.collab.models import Comment, Review, ReviewComment, Thread, Watch
from nbopen.config.env import CONFIG
from nbopen.core import events, tasks
from nbopen.core.errors import InvalidInput, NotFound, PermissionDenied
from nbopen.core.models import Event
from nbopen.notifications.models import Notification

log = logging.getLogger(__name__)
MENTION = re.compile(r"(?<![\w/@.])@([A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?)")
MAX_MENTIONS = 50
R = Notification.Reason
# A stronger reason is kept when a later event would give a weaker one.
RANK = [R.MENTION, R.REVIEW_REQUESTED, R.ASSIGN, R.AUTHOR, R.PARTICIPATING, R.WATCHING]


def mentions(text: str) -> list[str]:
    """User names ``@named`` in ``text`` (not e-mail addresses, not inside paths)."""
    found = dict.fromkeys(m.lower() for m in MENTION.findall(text or ""))
    return list(found)[:MAX_MENTIONS]


def connect() -> None:
    events.listen("notifications", ("issue.", "pull."), on_event)


def on_event(event: Event) -> None:
    tasks.defer(fanout, event.pk)


def _new_text(event: Event, thread: Thread) -> str:
    p = event.payload or {}
    action = event.kind.partition(".")[2]
    if action == "open":
        body = Comment.objects.filter(thread=thread, opening=True).values_list("body", flat=True)
        return f"{thread.title}\n{next(iter(body), '')}"
    if action == "comment":
        return str(
            next(
                iter(
                    Comment.objects.filter(pk=p.get("comment_id") or 0).values_list(
                        "body", flat=True
                    )
                ),
                "",
            )
        )
    if action == "review":
        return str(
            next(
                iter(
                    Review.objects.filter(pk=p.get("review_id") or 0).values_list("body", flat=True)
                ),
                "",
            )
        )
    if action == "review_comment":
        rows = ReviewComment.objects.filter(pk=p.get("comment_id") or 0).values_list(
            "body", flat=True
        )
        return str(next(iter(rows), ""))
    return ""


def _better(a: str, b: str | None) -> str:
    return a if b is None or RANK.index(R(a)) < RANK.index(R(b)) else b


def recipients(event: Event, thread: Thread) -> dict[int, str]:
    """``{user_id: reason}`` for one event (before the access filter)."""
    p = event.payload or {}
    out: dict[int, str] = {}

    def add(ids: Iterable[int | None], reason: str) -> None:
        for uid in ids:
            if uid is not None:
                out[uid] = _better(reason, out.get(uid))

    add(
        Watch.objects.filter(repository_id=thread.repository_id, level=Watch.Level.ALL).values_list(
            "user_id", flat=True
        ),
        R.WATCHING,
    )
    add(Comment.objects.filter(thread=thread).values_list("author_id", flat=True), R.PARTICIPATING)
    add(Review.objects.filter(thread=thread).values_list("author_id", flat=True), R.PARTICIPATING)
    add([thread.author_id], R.AUTHOR)
    add(thread.assignees.values_list("pk", flat=True), R.ASSIGN)
    if event.kind.endswith(".assign"):
        add(p.get("assignee_ids") or [], R.ASSIGN)
    if event.kind.endswith(".review_request"):
        add(p.get("reviewer_ids") or [], R.REVIEW_REQUESTED)
    named = mentions(_new_text(event, thread))
    if named:
        add(_users_named(named), R.MENTION)
    ignoring = set(
        Watch.objects.filter(
            repository_id=thread.repository_id, level=Watch.Level.IGNORE
        ).values_list("user_id", flat=True)
    )
    for uid in ignoring | {event.actor_id}:
        out.pop(uid, None)  # type: ignore[arg-type]
    return out


def _users_named(names: list[str]) -> list[int]:
    """Ids of the users called ``names`` (lower-cased; user names are case-insensitive)."""
    return list(
        User.objects.annotate(low=Lower("username"))
        .filter(low__in=names)
        .values_list("pk", flat=True)
    )


def fanout(event_id: int) -> None:
    """Write (or refresh) the inbox rows of one thread event; a task (idempotent: a rerun
    updates the same rows)."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        return
    thread = (
        Thread.objects.select_related("repository__owner")
        .filter(pk=(event.payload or {}).get("issue_id") or 0)
        .first()
    )
    if thread is None:
        return
    reasons = recipients(event, thread)
    users = User.objects.filter(pk__in=list(reasons), is_active=True)
    emailed: list[Notification] = []
    for user in users:
        if decide_repo(Principal(user=user), thread.repository, Level.READ) is not Decision.ALLOW:
            continue
        row = Notification.objects.filter(user=user, thread=thread).first()
        reason = reasons[user.pk]
        if row is None:
            row = Notification(user=user, thread=thread, repository=thread.repository)
        else:
            reason = _better(reason, row.reason)
        row.reason = reason
        row.status = (
            Notification.Status.PINNED
            if row.status == Notification.Status.PINNED
            else Notification.Status.UNREAD
        )
        row.last_kind = event.kind
        row.last_actor = event.actor_name
        row.comment_id = (event.payload or {}).get("comment_id")
        row.updated_at = event.created_at
        row.save()
        emailed.append(row)
    if smtp_configured() and emailed:
        send_emails(emailed, thread, event)


# --- email -------------------------------------------------------------------------------


def smtp_configured() -> bool:
    return bool(os.environ.get("NBOPEN_SMTP_HOST"))


def _connection() -> Any:
    return mail.get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=os.environ["NBOPEN_SMTP_HOST"],
        port=int(os.environ.get("NBOPEN_SMTP_PORT") or 25),
        username=os.environ.get("NBOPEN_SMTP_USER") or "",
        password=os.environ.get("NBOPEN_SMTP_PASSWORD") or "",
        use_tls=(os.environ.get("NBOPEN_SMTP_TLS") or "").lower() in {"1", "true", "yes", "on"},
        timeout=10,
    )


DESCRIBE = {
    "open": "opened",
    "comment": "commented on",
    "close": "closed",
    "reopen": "reopened",
    "merge": "merged",
    "review": "reviewed",
    "review_comment": "commented on",
    "assign": "assigned you to",
    "review_request": "requested your review on",
}


def send_emails(rows: list[Notification], thread: Thread, event: Event) -> None:
    """One message per recipient; a mail server that fails is logged, never fatal."""
    kind = "pulls" if thread.is_pull else "issues"
    url = f"{CONFIG.public_url}/{thread.repository.full_name}/{kind}/{thread.number}"
    what = DESCRIBE.get(event.kind.partition(".")[2], "updated")
    subject = f"[{thread.repository.full_name}] {thread.title} (#{thread.number})"
    sender = os.environ.get("NBOPEN_SMTP_FROM") or "nbopen@localhost"
    who = event.actor_name or "NBopen"
    body = f"{who} {what} {thread.repository.full_name}#{thread.number}\n\n{url}\n"
    messages = []
    for row in rows:
        if not row.user.email:
            continue
        messages.append(mail.EmailMessage(subject, body, sender, [row.user.email]))
    if not messages:
        return
    try:
        with _connection() as connection:
            connection.send_messages(messages)
    except Exception:
        log.exception("notification email for thread %s not sent", thread.pk)


# --- reading and marking ---------------------------------------------------------------------


def _user(principal: Principal) -> User:
    if not principal.is_authenticated or principal.user is None:
        raise PermissionDenied(gettext_noop("Sign in to see your notifications"))
    return principal.user


def inbox(
    principal: Principal, *, statuses: Iterable[str] | None = None, repo_id: int | None = None
) -> QuerySet[Notification]:
    """The caller's notifications, newest first, only of repositories they can read now."""
    user = _user(principal)
    qs = Notification.objects.filter(
        user=user, repository__in=visible_repositories(principal)
    ).select_related("thread", "repository__owner")
    wanted = [s for s in (statuses or [Notification.Status.UNREAD, Notification.Status.PINNED])]
    unknown = [s for s in wanted if s not in Notification.Status.values]
    if unknown:
        raise InvalidInput(gettext_noop("Unknown notification status"))
    qs = qs.filter(status__in=wanted)
    if repo_id is not None:
        qs = qs.filter(repository_id=repo_id)
    return qs.order_by("-updated_at", "-pk")


def unread_count(principal: Principal) -> int:
    if not principal.is_authenticated:
        return 0
    return inbox(principal, statuses=[Notification.Status.UNREAD]).count()


def get(principal: Principal, notification_id: int) -> Notification:
    row = (
        Notification.objects.filter(
            pk=notification_id,
            user=_user(principal),
            repository__in=visible_repositories(principal),
        )
        .select_related("thread", "repository__owner")
        .first()
    )
    if row is None:
        raise NotFound(gettext_noop("Notification not found"))
    return row


def mark(
    principal: Principal,
    *,
    to_status: str,
    ids: Iterable[int] | None = None,
    from_statuses: Iterable[str] | None = None,
    before: datetime | None = None,
) -> list[Notification]:
    """Move the caller's notifications (``ids``, or all matching) to ``to_status``; returns
    the rows changed."""
    if to_status not in Notification.Status.values:
        raise InvalidInput(gettext_noop("Unknown notification status"))
    default = Notification.Status.values if ids is not None else [Notification.Status.UNREAD]
    qs = inbox(principal, statuses=from_statuses or default)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    if before is not None:
        qs = qs.filter(updated_at__lte=before)
    rows = list(qs)
    Notification.objects.filter(pk__in=[r.pk for r in rows]).update(status=to_status)
    for r in rows:
        r.status = to_status
    return rows


def now() -> datetime:
    return timezone.now()
