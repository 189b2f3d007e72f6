"""Reactions (👍 👎 😄 🎉 😕 ❤️ 🚀 👀) on threads and their comments, with Gitea's and
GitHub's eight names. Any signed-in reader may react, also on a locked thread (a reaction
adds no text); the repository's privacy is the policy's, as for every thread read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.collab import threads
from nbopen.collab.models import Comment, Reaction, Thread
from nbopen.core.errors import InvalidInput, NotFound

EMOJI = {
    "+1": "👍",
    "-1": "👎",
    "laugh": "😄",
    "hooray": "🎉",
    "confused": "😕",
    "heart": "❤️",
    "rocket": "🚀",
    "eyes": "👀",
}


@dataclass(frozen=True)
class Tally:
    """One reaction kind on one target, for a page: its emoji, count and whether the
    viewer gave it."""

    content: str
    emoji: str
    count: int
    mine: bool


def _clean(content: object) -> str:
    if not isinstance(content, str) or content not in EMOJI:
        raise InvalidInput(
            gettext_noop("A reaction must be one of %(names)s"), names=", ".join(EMOJI)
        )
    return content


def target(thread: Thread, comment_id: int | None) -> Comment | None:
    if comment_id is None:
        return None
    if not 0 < comment_id < 2**63:
        raise NotFound(gettext_noop("Comment not found"))
    comment = Comment.objects.filter(thread=thread, pk=comment_id, hidden=False).first()
    if comment is None or comment.opening:
        raise NotFound(gettext_noop("Comment not found"))
    return comment


def reactions(thread: Thread, comment: Comment | None = None) -> QuerySet[Reaction]:
    """The reactions on the thread itself (``comment`` None) or on one of its comments."""
    qs = Reaction.objects.filter(thread=thread).select_related("user")
    return qs.filter(comment=comment) if comment is not None else qs.filter(comment__isnull=True)


def react(
    *, actor: Principal, thread: Thread, content: object, comment_id: int | None = None
) -> tuple[Reaction, bool]:
    """Add ``actor``'s reaction (idempotent: ``created`` is False when it was there)."""
    user = threads.participant(actor, thread.repository)
    kind = _clean(content)
    comment = target(thread, comment_id)
    existing = reactions(thread, comment).filter(user=user, content=kind).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            made = Reaction.objects.create(thread=thread, comment=comment, user=user, content=kind)
    except IntegrityError:  # the same click twice at once: the other request made it
        return reactions(thread, comment).get(user=user, content=kind), False
    return made, True


def unreact(
    *, actor: Principal, thread: Thread, content: object, comment_id: int | None = None
) -> bool:
    """Remove ``actor``'s reaction; True when there was one."""
    user = threads.participant(actor, thread.repository)
    kind = _clean(content)
    comment = target(thread, comment_id)
    deleted, _ = reactions(thread, comment).filter(user=user, content=kind).delete()
    return deleted > 0


def toggle(
    *, actor: Principal, thread: Thread, content: object, comment_id: int | None = None
) -> bool:
    """The web's button: add the reaction, or remove it if the viewer had it. True: added."""
    if unreact(actor=actor, thread=thread, content=content, comment_id=comment_id):
        return False
    react(actor=actor, thread=thread, content=content, comment_id=comment_id)
    return True


def tallies(thread: Thread, viewer: User | None) -> dict[int | None, list[Tally]]:
    """Every reaction kind given on ``thread`` and its comments, keyed by comment id (None:
    the thread itself), in the fixed order of :data:`EMOJI`: one query for a whole page."""
    counts: Counter[tuple[int | None, str]] = Counter()
    mine: set[tuple[int | None, str]] = set()
    for comment_id, user_id, content in Reaction.objects.filter(thread=thread).values_list(
        "comment_id", "user_id", "content"
    ):
        counts[(comment_id, content)] += 1
        if viewer is not None and user_id == viewer.pk:
            mine.add((comment_id, content))
    out: dict[int | None, list[Tally]] = {}
    for target in sorted({t for t, _ in counts}, key=lambda t: -1 if t is None else t):
        out[target] = [
            Tally(kind, emoji, counts[(target, kind)], (target, kind) in mine)
            for kind, emoji in EMOJI.items()
            if counts[(target, kind)]
        ]
    return out
