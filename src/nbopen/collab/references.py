"""``#N`` and ``owner/name#N`` cross-references, and the ``fixes #N`` grammar.

A reference written in a thread's title, body or comment shows on the referenced thread's
timeline (``cross-reference``; a reader who cannot see the source's repository is not shown
it: the web view filters by the policy). A commit message with ``fixes #N`` / ``closes #N``
/ ``resolves #N`` / ``修复 #N`` / ``关闭 #N`` closes issue N when the commit reaches the
repository's default branch (:mod:`.closing`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbopen.accounts.models import User
    from nbopen.collab.models import Thread

# ``owner/name#12`` or ``#12`` not preceded by a word character or ``&`` (HTML entities).
REFERENCE = re.compile(
    r"(?<![\w&/#])(?:(?P<owner>[A-Za-z0-9][\w.-]{0,38})/(?P<name>[\w.-]{1,100}))?#(?P<num>\d{1,9})\b"
)
CLOSING = re.compile(
    r"(?:\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b|修复|关闭|解决)\s*:?\s*"
    r"(?:(?P<owner>[A-Za-z0-9][\w.-]{0,38})/(?P<name>[\w.-]{1,100}))?#(?P<num>\d{1,9})\b",
    re.IGNORECASE,
)


def _found(pattern: re.Pattern[str], text: str) -> list[tuple[str | None, int]]:
    """``[(owner/name or None, number)]`` of ``pattern``'s matches, in order, no repeats."""
    found: list[tuple[str | None, int]] = []
    for m in pattern.finditer(text):
        key = (f"{m['owner']}/{m['name']}" if m["owner"] else None, int(m["num"]))
        if key not in found:
            found.append(key)
    return found


def parse_references(text: str) -> list[tuple[str | None, int]]:
    """Every ``#N`` and ``owner/name#N`` in ``text``."""
    return _found(REFERENCE, text)


def parse_closing(text: str) -> list[tuple[str | None, int]]:
    """The issues ``text`` says it closes: ``fixes #3``, ``Closes org/repo#4``, ``修复 #5``."""
    return _found(CLOSING, text)


def _target(repo_id: int, full_name: str | None, number: int) -> Thread | None:
    from nbopen.collab.models import Thread

    qs = Thread.objects.select_related("repository", "author").filter(number=number)
    if full_name is None:
        return qs.filter(repository_id=repo_id).first()
    owner, _, name = full_name.partition("/")
    return qs.filter(
        repository__owner__name__iexact=owner, repository__name_lower=name.lower()
    ).first()


def record_mentions(*, thread: Thread, actor: User, text: str) -> None:
    """Put a ``cross-reference`` entry on every thread ``text`` names (once per source)."""
    from nbopen.collab.models import TimelineEntry

    for full_name, number in parse_references(text)[:50]:
        target = _target(thread.repository_id, full_name, number)
        if target is None or target.pk == thread.pk:
            continue
        data = {
            "source_thread": thread.pk,
            "source_repo_id": thread.repository_id,
            "repo": thread.repository.full_name,
            "number": thread.number,
            "title": thread.title,
        }
        if not TimelineEntry.objects.filter(
            thread=target, kind="cross-reference", data__source_thread=thread.pk
        ).exists():
            TimelineEntry.objects.create(
                thread=target, kind="cross-reference", actor=actor, data=data
            )
