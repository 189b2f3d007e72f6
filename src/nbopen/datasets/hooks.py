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
