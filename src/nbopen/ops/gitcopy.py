"""A consistent copy of a bare repository that is being pushed to while it is copied.

Why copying files, refs first, and not ``git bundle`` or ``git clone --mirror``: git writes a
push's objects into ``objects/`` (out of its quarantine) *before* it moves any ref, and never
rewrites an object file in place. So refs read at one moment point only at objects already on
disk then; copying ``objects/`` afterwards copies all of them, plus perhaps newer ones nobody
references yet (harmless). The refs are read with ``git for-each-ref``, which lets git resolve
its own loose-vs-packed race, and written into the copy as one ``packed-refs`` file. A bundle
would repack every repository in full on every backup (CPU and time proportional to all
history); a file copy reads each pack once and keeps the server's packing, config and ids.

The one race left is git's own maintenance: ``git gc --auto`` (queued after pushes) may pack
loose objects into a new pack and delete the loose files, or replace packs, while we copy.
An object file that vanishes under us is the sign: we list ``objects/`` again and copy what
is new, until a pass sees nothing vanish. Then ``git fsck --connectivity-only`` on the copy
proves every ref's history is present; only then is the copy part of the backup.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from nbopen.ops.manifest import BackupError, Inventory

# Files of a bare repository worth keeping besides objects and refs.
TOP_FILES = ("HEAD", "config", "description")
MAX_PASSES = 5


@dataclass(frozen=True)
class RefSnapshot:
    head: bytes  # the HEAD file as is ("ref: refs/heads/main\n")
    packed_refs: bytes  # "sha refname" lines, the refs as they were at the snapshot


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        check=False,
        env={**os.environ, "GIT_DIR": str(repo), "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"},
    )


def snapshot_refs(repo: Path) -> RefSnapshot:
    proc = _git(repo, "for-each-ref", "--format=%(objectname) %(refname)")
    if proc.returncode != 0:
        raise BackupError(f"cannot read the refs of {repo}: {proc.stderr.decode().strip()}")
    return RefSnapshot(head=(repo / "HEAD").read_bytes(), packed_refs=proc.stdout)


def _skipped(rel: Path) -> bool:
    """Files in objects/ that are work in progress, not objects: git's quarantine of a push
    not yet accepted (tmp_objdir-incoming-*), packs being written (tmp_pack_*, tmp_idx_*),
    lock files."""
    return any(part.startswith(("tmp_", "incoming-")) for part in rel.parts) or (
        rel.name.endswith(".lock")
    )


def copy_repository(repo: Path, refs: RefSnapshot, inventory: Inventory, rel_root: str) -> int:
    """Copy ``repo`` into the backup at ``rel_root`` with the refs of ``refs``; returns the
    number of object files copied. Raises BackupError if the copy is not connected."""
    for name in TOP_FILES:
        source = repo / name
        if name == "HEAD":
            inventory.write_bytes(f"{rel_root}/HEAD", refs.head)
        elif source.is_file():
            inventory.copy_file(source, f"{rel_root}/{name}")
    inventory.write_bytes(f"{rel_root}/packed-refs", refs.packed_refs)
    target = inventory.root / rel_root
    (target / "refs" / "heads").mkdir(parents=True, exist_ok=True)
    (target / "refs" / "tags").mkdir(parents=True, exist_ok=True)
    copied: set[Path] = set()
    objects = repo / "objects"
    for _ in range(MAX_PASSES):
        vanished = False
        for dirpath, dirnames, filenames in os.walk(objects):
            here = Path(dirpath).relative_to(objects)
            dirnames[:] = [d for d in dirnames if not _skipped(here / d)]
            for name in filenames:
                rel = here / name
                if rel in copied or _skipped(rel):
                    continue
                try:
                    inventory.copy_file(objects / rel, f"{rel_root}/objects/{rel.as_posix()}")
                except FileNotFoundError:
                    vanished = True  # repacked away: list again, its objects are elsewhere
                    continue
                copied.add(rel)
        if not vanished:
            break
    else:
        raise BackupError(f"{repo} kept changing under the copy ({MAX_PASSES} passes)")
    (target / "objects" / "info").mkdir(parents=True, exist_ok=True)
    (target / "objects" / "pack").mkdir(parents=True, exist_ok=True)
    check = _git(target, "fsck", "--connectivity-only", "--no-progress", "--no-dangling")
    if check.returncode != 0:
        raise BackupError(
            f"the copy of {repo} is missing objects its refs need: "
            f"{check.stderr.decode(errors='replace').strip()[:500]}"
        )
    return len(copied)
