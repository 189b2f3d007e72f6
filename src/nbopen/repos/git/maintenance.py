"""Keeping bare repositories fast as pushes accumulate: pack loose objects, write the commit-graph.

Every repository has ``gc.auto=0`` (see ``bare.SERVER_CONFIG``) so git never collects garbage
inside receive-pack while a client waits for its push to finish. Instead, after each push a
background job runs ``git gc --auto`` with git's own default thresholds (6,700 loose objects,
50 packs). git decides whether work is due, so the common case costs one cheap check. When it
does work, it repacks with ``-A`` (unreachable objects become loose, they are not dropped) and
prunes only loose objects older than ``gc.pruneExpire`` (two weeks): objects of a push in
progress are younger, so a concurrent push is never damaged. git's own ``gc.pid`` lock skips a
second run on the same repository. gc also writes the commit-graph, which speeds up log,
merge-base and the ahead/behind counts the web pages show.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

LOOSE_OBJECTS_LIMIT = 6700  # git's default gc.auto
PACKS_LIMIT = 50  # git's default gc.autoPackLimit


def count_objects(path: Path) -> dict[str, int]:
    """``git count-objects -v`` as numbers (count = loose objects, packs = pack files)."""
    out = subprocess.run(
        ["git", "count-objects", "-v"], cwd=path, capture_output=True, text=True, check=True
    ).stdout
    figures: dict[str, int] = {}
    for line in out.splitlines():
        key, _, value = line.partition(":")
        if value.strip().isdigit():
            figures[key.strip()] = int(value)
    return figures


def maintain(
    path: Path, *, loose_limit: int = LOOSE_OBJECTS_LIMIT, pack_limit: int = PACKS_LIMIT
) -> bool:
    """Run ``git gc --auto`` in the foreground; True if git found work due and did it."""
    before = count_objects(path)
    subprocess.run(
        [
            "git",
            "-c",
            f"gc.auto={loose_limit}",
            "-c",
            f"gc.autoPackLimit={pack_limit}",
            "-c",
            "gc.autoDetach=false",
            "gc",
            "--auto",
            "--quiet",
        ],
        cwd=path,
        capture_output=True,
        check=True,
    )
    return count_objects(path) != before


def has_commit_graph(path: Path) -> bool:
    """Whether the repository has a commit-graph (single file or a split chain)."""
    info = path / "objects" / "info"
    return (info / "commit-graph").is_file() or (info / "commit-graphs").is_dir()


def write_commit_graph(path: Path) -> None:
    """Add the commits the last update brought to the commit-graph, with changed-path Bloom
    filters: ``git log -- path`` (the blob page's last commit, the tree's last-commit column)
    then skips commits that did not touch the path without opening their trees. ``--split``
    writes only a small new layer for the new commits and merges layers geometrically, so the
    cost follows the size of the update, not of the repository."""
    subprocess.run(
        ["git", "commit-graph", "write", "--reachable", "--split", "--changed-paths"],
        cwd=path,
        capture_output=True,
        check=False,
    )
