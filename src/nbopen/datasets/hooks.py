"""How datasets react to repository events (registered in ``DatasetsConfig.ready``).

The write service records what happened (``repo.push``, ``repo.fork``, ``repo.delete``) and
knows nothing about datasets; this listener turns those events into conversions and
clean-ups, the way search follows the same log. Cheap to import: no Arrow/DuckDB until a
dataset actually needs work.
"""

from __future__ import annotations

import logging

from nbopen.core import events
from nbopen.core.models import Event
from nbopen.repos.models import Repository

log = logging.getLogger(__name__)

PREFIXES = ("repo.push", "repo.fork", "repo.duplicate", "repo.delete")


def on_event(event: Event) -> None:
    if event.kind == "repo.delete":
        on_delete(repo_id=int(event.repository_id or 0))
        return
    repo_id = event.repository_id if event.kind == "repo.push" else event.payload.get("forkee_id")
    if not isinstance(repo_id, int):
        return
    repo = Repository.objects.filter(pk=repo_id, type=Repository.Type.DATASET).first()
    if repo is None:
        return
    from nbopen.datasets import services

    try:
        if event.kind == "repo.push":
            # A forked dataset is converted like a pushed one (its own history from now on).
            services.on_push(repo=repo, updates=_updates(event))
        else:
            services.current_conversion(repo)
    except Exception:
        # The push itself succeeded; a scheduling failure must not turn it into an error.
        # The viewer schedules the conversion again on first access.
        log.exception("could not schedule dataset conversion for %s", repo.full_name)


def _updates(event: Event) -> list[object]:
    from nbopen.repos.writes.after_update import RefUpdate

    return [
        RefUpdate(r["old"], r["new"], r["ref"])
        for r in event.payload.get("refs", [])
        if isinstance(r, dict)
    ]


def on_delete(*, repo_id: int) -> None:
    """After a repository is deleted: its converted Parquet, statistics and row index go too.

    The directory is moved aside at once (so nothing can serve it, even if a new repository
    ever got the same id) and removed in the background. Rows in the database go with the
    repository by cascade.
    """
    from nbopen.core import trash
    from nbopen.datasets import storage

    trash.discard(storage.repo_dir(repo_id), label=f"dataset-{repo_id}")


def connect() -> None:
    events.listen("datasets.conversion", PREFIXES, on_event)
