"""The one entry point other apps call: cheap to import (no Arrow/DuckDB until needed)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from nbopen.repos.models import Repository

log = logging.getLogger(__name__)


def on_push(*, repo: Repository, updates: Iterable[Any]) -> None:
    """After a push: schedule conversion if ``repo`` is a dataset (see services.on_push)."""
    if repo.type != Repository.Type.DATASET:
        return
    from nbopen.datasets import services

    try:
        services.on_push(repo=repo, updates=updates)
    except Exception:
        # The push itself succeeded; a scheduling failure must not turn it into an error.
        # The viewer schedules the conversion again on first access.
        log.exception("could not schedule dataset conversion for %s", repo.full_name)


def on_fork(*, repo: Repository) -> None:
    """A forked dataset is converted like a pushed one (its own revision history from now on)."""
    if repo.type != Repository.Type.DATASET:
        return
    from nbopen.datasets import services

    try:
        services.current_conversion(repo)
    except Exception:
        log.exception("could not schedule dataset conversion for %s", repo.full_name)


def on_delete(*, repo_id: int) -> None:
    """After a repository is deleted: its converted Parquet, statistics and row index go too.

    The directory is moved aside at once (so nothing can serve it, even if a new repository
    ever got the same id) and removed in the background. Rows in the database go with the
    repository by cascade.
    """
    from nbopen.core import trash
    from nbopen.datasets import storage

    trash.discard(storage.repo_dir(repo_id), label=f"dataset-{repo_id}")
