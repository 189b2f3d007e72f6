"""Keeping the index current from the event log, in the background.

Every event appended through :func:`nbopen.core.events.record` calls :func:`on_event` (a
listener registered in ``SearchConfig.ready``; no Django signal), which schedules, after the
event's transaction commits, one job that applies that very event and then catches up with
anything else after the cursor — events written by other processes (the CLI, git hooks)
included. Applying the
event itself, not only "everything after the cursor", matters on PostgreSQL: ids are taken
before commit, so a slow transaction can commit an id lower than one already applied.
"""

from __future__ import annotations

import logging

from nbopen.core import events, tasks
from nbopen.core.models import Event

log = logging.getLogger(__name__)
INDEXED_PREFIXES = ("repo.", "org.", "user.")
# What can change a repository's default-branch files (or remove them all). Visibility needs
# nothing: code search asks the policy at query time, as repository search does.
CODE_PREFIXES = (
    "repo.push",
    "repo.branch.",
    "repo.squash",
    "repo.create",
    "repo.fork",
    "repo.move",  # renamed or transferred: every file row repeats "owner/name"
    "repo.type",
    "repo.delete",
)


def refresh(
    event_id: int,
    kind: str,
    repository_id: int | None,
    organization_id: int | None,
    actor_id: int | None,
) -> None:
    from nbopen.search import indexer, trending

    if event_id <= indexer.cursor():
        # The catch-up already moved past this id while our transaction was still open.
        indexer.apply_event(kind, repository_id, organization_id, actor_id)
    indexer.index_pending()
    trending.maybe_refresh()


def on_event(event: Event) -> None:
    """Schedule the index job for one repository, organization or user event."""
    tasks.defer(
        refresh,
        event.pk,
        event.kind,
        event.repository_id,
        event.organization_id,
        event.actor_id,
    )


def sync_code(repository_id: int) -> None:
    """Background job: bring one repository's code files in line with its default branch."""
    from nbopen.search import code_index

    code_index.sync(repository_id)


def on_code_event(event: Event) -> None:
    """After a ref change (push, Hub commit, branch operation) or a deletion, re-sync the
    repository's code files in the background; the job itself finds what changed."""
    if event.repository_id is not None:
        tasks.defer(sync_code, event.repository_id)


# Every change to a thread's title, text, comments or state (``thread.edit``: a rename, an
# edited or hidden comment, which are not issue/pull events), and a repository's deletion.
THREAD_PREFIXES = ("issue.", "pull.", "thread.", "repo.delete")


def sync_thread(thread_id: int) -> None:
    """Background job: rewrite one thread's row of thread search."""
    from nbopen.search import thread_index

    thread_index.sync(thread_id)


def drop_threads(repository_id: int) -> None:
    """Background job: a deleted repository's threads leave thread search."""
    from nbopen.search import thread_index

    thread_index.remove_repository(repository_id)


def on_thread_event(event: Event) -> None:
    """Re-index the event's thread (its id is in every thread event's payload) after the
    commit; the job re-reads the thread, so its order relative to other jobs is free."""
    if event.kind == "repo.delete":
        if event.repository_id is not None:
            tasks.defer(drop_threads, event.repository_id)
        return
    thread_id = (event.payload or {}).get("issue_id")
    if isinstance(thread_id, int):
        tasks.defer(sync_thread, thread_id)


def connect() -> None:
    events.listen("search.index", INDEXED_PREFIXES, on_event)
    events.listen("search.code", CODE_PREFIXES, on_code_event)
    events.listen("search.threads", THREAD_PREFIXES, on_thread_event)
