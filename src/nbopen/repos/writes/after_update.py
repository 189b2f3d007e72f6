"""The one step that follows every ref change, whatever channel made it.

git pushes (the receive relay), Hub commits and refs, browser uploads, the Parquet ref and
the demo loader all end here. It records the event (``repo.push`` for new commits, the
Hub's ``repo.branch.*``/``repo.tag.*`` kinds for ref operations), keeps the database copy of
the default branch's card current with the one card parser (:mod:`nbopen.repos.cards`), and
queues git maintenance. Other apps react to the event through ``core.events.listen``
(search indexes it, datasets schedule a conversion): nothing here calls them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from nbopen.accounts.models import User
from nbopen.audit import services as audit
from nbopen.core import events, tasks
from nbopen.repos import cards
from nbopen.repos.git import maintenance
from nbopen.repos.models import Repository

log = logging.getLogger(__name__)

ZERO_SHA = "0" * 40
PUSH = "repo.push"


@dataclass(frozen=True)
class RefUpdate:
    old: str
    new: str
    ref: str


def parse_ref_updates(lines: Iterable[str]) -> list[RefUpdate]:
    """``old new ref`` lines, as git's ``post-receive`` hook receives them."""
    updates = []
    for line in lines:
        parts = line.split()
        if len(parts) == 3:
            updates.append(RefUpdate(*parts))
    return updates


def _pushed_commits(repo: Repository, updates: list[RefUpdate]) -> int:
    """New commits on branches in this push (analytics' ``commits``; tags add none)."""
    from nbopen.repos.git.read import count_pushed_commits

    if not repo.git_path.exists():
        return 0
    return sum(
        count_pushed_commits(repo.git_path, old=u.old, new=u.new, ref=u.ref)
        for u in updates
        if u.ref.startswith("refs/heads/")
    )


def after_update(
    *,
    repo_id: int,
    actor: User | None,
    updates: list[RefUpdate],
    kind: str | None = PUSH,
    payload: dict[str, Any] | None = None,
) -> None:
    """Run after ``updates`` moved refs of repository ``repo_id``.

    ``kind`` is the event to record: ``repo.push`` (the default; the payload lists the refs
    and counts new commits, and the push time is touched) or a ref operation's kind with its
    ``payload``; None records nothing (the converter's own ``refs/convert/parquet``).
    """
    if not updates:
        return
    repo = Repository.objects.select_related("owner").filter(pk=repo_id).first()
    if repo is None:
        return
    if kind == PUSH:
        now = timezone.now()
        Repository.objects.filter(pk=repo_id).update(pushed_at=now, updated_at=now)
        payload = {
            "refs": [{"ref": u.ref, "old": u.old, "new": u.new} for u in updates],
            "commits": _pushed_commits(repo, updates),
        }
    if kind is not None:
        events.record(kind, actor=actor, repository=repo, payload=payload)
    if kind == PUSH:
        _audit_pushed_deletions(repo, actor, updates)
    _sync_card_if_moved(repo, updates)
    head = f"refs/heads/{repo.default_branch}"
    tip = next((u.new for u in updates if u.ref == head and u.new.strip("0")), None)
    tasks.defer(maintain, repo.pk, tip)


def _audit_pushed_deletions(repo: Repository, actor: User | None, updates: list[RefUpdate]) -> None:
    """Branches and tags a git push deleted (the Hub routes record their own events)."""
    for update in updates:
        if update.new.strip("0"):
            continue
        kind = "tag" if update.ref.startswith("refs/tags/") else "branch"
        name = update.ref.removeprefix("refs/tags/").removeprefix("refs/heads/")
        audit.record(
            f"repo.{kind}.delete",
            actor=actor,
            repository=repo,
            detail={"ref": name, "old": update.old, "via": "git"},
        )


def _sync_card_if_moved(repo: Repository, updates: list[RefUpdate]) -> None:
    head = f"refs/heads/{repo.default_branch}"
    for update in updates:
        if update.ref == head and update.new.strip("0"):
            try:
                sync_card(repo, cards.card_at(repo, update.new))
            except Exception:
                # The content is committed; a card that cannot be read must not undo that.
                log.exception("card of repository %s not synced", repo.pk)


def sync_card(repo: Repository, card: cards.Card) -> None:
    """Keep the database copy of the default branch's card (licence, tags, cardData) current:
    listing filters, search and the data libraries read it without opening git."""
    if repo.card_data != card.data or repo.tags != card.tags or repo.license != card.license:
        Repository.objects.filter(pk=repo.pk).update(
            card_data=card.data, tags=card.tags, license=card.license
        )
        repo.card_data, repo.tags, repo.license = card.data, card.tags, card.license


def maintain(repo_id: int, tip: str | None = None) -> None:
    """Background job queued after every ref change: ``git gc --auto`` decides whether packing
    is due (idempotent), the commit-graph gains the new commits, and when the default branch
    moved to ``tip`` the repository page's reads at ``tip`` are computed into the page cache,
    so the first visitor after a push does not wait for git. The git adapter takes a path;
    finding it is this layer's job."""
    from nbopen.repos import git_cache

    repo = Repository.objects.filter(pk=repo_id).first()
    if repo is None or not repo.git_path.is_dir():
        return
    maintenance.maintain(repo.git_path)
    maintenance.write_commit_graph(repo.git_path)
    if tip is not None:
        try:
            git_cache.warm(repo, tip)
        except Exception:
            # Warming is an optimisation: the pages compute the same on first read.
            log.exception("page cache of repository %s not warmed", repo.pk)
