"""Removing a directory tree without making the caller wait or leaving it half-visible.

The tree is renamed into ``{data_dir}/trash`` at once — an atomic step on one filesystem, so
nothing can serve it from its old path a moment later — and deleted by a background job.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from nbopen.config.env import CONFIG
from nbopen.core import tasks


def remove_tree(path: str) -> None:
    """Background job: delete a trashed tree (idempotent)."""
    shutil.rmtree(path, ignore_errors=True)


def discard(path: Path, *, label: str = "") -> None:
    """Move ``path`` aside now and delete it in the background; nothing if it is absent."""
    if not path.exists():
        return
    trash = CONFIG.data_dir / "trash" / f"{label or path.name}.{uuid.uuid4().hex}"
    trash.parent.mkdir(parents=True, exist_ok=True)
    path.rename(trash)
    tasks.defer(remove_tree, str(trash))
