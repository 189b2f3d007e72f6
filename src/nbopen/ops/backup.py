"""``nbopen backup DIR``: a restorable copy of a running deployment.

What is copied, in this order, and why the order makes the copy restorable:

1. **Refs of every repository** (``git for-each-ref``, milliseconds each; nothing else yet).
2. **The database** (SQLite online backup API, or ``pg_dump``; see ``database.py``).
3. **Git objects** of every repository (``gitcopy.py``), checked for connectivity.
4. **LFS objects, Xet xorbs and the competitions' vault** (ground truths, host scorers and
   submitted files: ``challenges/vault.py``), read through the storage backend
   (``core.storage``: a directory or an S3 bucket), so a backup of S3 storage is made the
   same way. The vault is a key space of its own, inside the storage root that step 5 skips:
   without this step a restored competition named a ground truth that was gone.
5. **The rest of the data dir**: dataset conversions (Parquet, first rows, search indexes),
   the analytics store and the generated ``secret_key``.

Every step copies things that the step before can only reference if they already existed:

- refs → git objects: git writes a push's objects before it moves a ref, and objects are
  copied after the refs were read, so every ref's history is in the copy (and ``git fsck``
  proves it).
- refs → database: an LFS object is linked to a repository (a database row) when its upload
  is verified, before the ``git push`` that references it; the database is read after the
  refs, so every LFS pointer in the copied history has its link row. (Reading the database
  first would lose exactly that for a push landing in between: its clone would work and its
  ``git lfs fetch`` would be refused.)
- database → LFS/Xet objects and conversions: a row that names an object or a finished
  conversion is written after the bytes are stored, and the bytes are copied after the
  database, so every row finds its bytes.

What the copy may have in excess — objects, repositories or conversions that appeared while
it ran and that nothing in the database or the refs names yet — is harmless. What it can
lack is bounded: a push that completes during the backup may be in the refs without its
``repo.push`` event (the event is written just after the refs move), and a conversion that
was running is copied as running.

The backup directory must be new or empty; ``MANIFEST.json`` is written last, so a backup
that was interrupted is recognisable and refused by restore.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbopen.ops import database, gitcopy
from nbopen.ops.manifest import MANIFEST, BackupError, Inventory

if TYPE_CHECKING:
    from nbopen.core.storage import BlobStorage

REPO_DIR_RE = re.compile(r"[0-9a-f]{2}/[0-9]+\.git\Z")
# Data dir entries that are not data: rebuilt (hooks, static), transient (tmp, trash),
# copied by their own step (git, the database, file:// blob storage), or earlier restores.
NOT_DATA = {"git", "tmp", "trash", "hooks", "static", "lfs", "packcache"}
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def repositories(git_root: Path) -> list[tuple[str, Path]]:
    """(relative path, path) of every bare repository under ``git_root``, by id order."""
    found = []
    for path in git_root.glob("??/*.git"):
        rel = path.relative_to(git_root).as_posix()
        if REPO_DIR_RE.match(rel) and path.is_dir():
            found.append((rel, path))
    return sorted(found, key=lambda item: int(item[1].name.removesuffix(".git")))


def _prepare(target: Path, data_dir: Path, storage_root: Path | None) -> None:
    inside = [data_dir / name for name in NOT_DATA]
    if storage_root is not None:
        inside.append(storage_root)
    if target == data_dir or any(target == path or path in target.parents for path in inside):
        raise BackupError(
            f"{target} is inside the data NBopen manages: back up into a directory of its own"
        )
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: back up into a new or empty directory")
    # A backup holds password hashes, token digests, private repositories and the secret key.
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    target.chmod(0o700)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def backup(target: Path) -> dict[str, Any]:
    """Write a backup of this deployment (as configured by ``NBOPEN_*``) into ``target``."""
    from nbopen.config.env import CONFIG

    target = target.resolve()
    storage_root = _storage_root(CONFIG.storage_url)
    database.preflight(database.settings())
    _prepare(target, CONFIG.data_dir, storage_root)
    try:
        return _backup(target, CONFIG.data_dir, CONFIG.git_root, storage_root)
    except (BackupError, OSError) as exc:  # a full disk, a tool that failed
        raise BackupError(
            f"{exc} — {target} is incomplete (it has no {MANIFEST}); remove it"
        ) from exc


def _backup(
    target: Path, data_dir: Path, git_root: Path, storage_root: Path | None
) -> dict[str, Any]:
    from nbopen.challenges.vault import vault as challenge_vault
    from nbopen.config.env import CONFIG
    from nbopen.core.storage import get_storage, object_key
    from nbopen.xet.storage import xorb_storage

    started = time.monotonic()
    inventory = Inventory(target)
    db = database.settings()
    db_kind = database.kind(db)
    timings: dict[str, float] = {}

    def lap(step: str, since: float) -> float:
        now = time.monotonic()
        timings[step] = round(now - since, 3)
        return now

    mark = time.monotonic()
    refs = {rel: gitcopy.snapshot_refs(path) for rel, path in repositories(git_root)}
    mark = lap("refs", mark)
    _say(f"refs of {len(refs)} repositories read; copying the {db_kind} database")

    inventory.add_existing(database.dump(db, target))
    mark = lap("database", mark)

    repo_count = object_files = 0
    for rel, path in repositories(git_root):
        try:
            snapshot = refs.get(rel) or gitcopy.snapshot_refs(path)  # created since step 1
            object_files += gitcopy.copy_repository(path, snapshot, inventory, f"git/{rel}")
        except BackupError:
            if not path.exists():
                continue  # deleted while we copied: the database no longer names it either
            raise
        repo_count += 1
    mark = lap("git", mark)
    _say(f"{repo_count} repositories copied ({object_files} object files); copying blobs")

    corrupt: list[str] = []
    lfs_count = 0
    lfs = get_storage()
    for oid in lfs.oids():
        try:
            with lfs.open(oid) as src:
                entry = inventory.copy_stream(src, f"objects/lfs/{object_key(oid)}")
        except FileNotFoundError:
            continue
        if entry.sha256 != oid:
            corrupt.append(oid)  # kept as is, and reported: the backup must not hide it
        lfs_count += 1
    xet_count = copy_key_space(xorb_storage(), "objects/xet/", inventory)
    challenge_count = copy_key_space(challenge_vault(), "objects/challenges/", inventory)
    mark = lap("objects", mark)

    skip = {target, Path(str(db.get("NAME", ""))), *([storage_root] if storage_root else [])}
    data_files = _copy_data(data_dir, inventory, skip)
    lap("data", mark)

    info = {
        "nbopen_version": _version(),
        "database": {
            "kind": db_kind,
            "file": database.SQLITE_FILE if db_kind == "sqlite" else database.PG_FILE,
        },
        "storage": _describe_storage(CONFIG.storage_url),
        "counts": {
            "repositories": repo_count,
            "git_object_files": object_files,
            "lfs_objects": lfs_count,
            "xet_xorbs": xet_count,
            "challenge_objects": challenge_count,
            "data_files": data_files,
        },
        "corrupt_lfs_objects": corrupt,
        "seconds": {**timings, "total": round(time.monotonic() - started, 3)},
    }
    manifest = inventory.finish(info)
    if corrupt:
        _say(
            f"warning: {len(corrupt)} LFS objects in storage do not match their oid: {corrupt[:5]}"
        )
    return manifest


def copy_key_space(backend: BlobStorage, prefix: str, inventory: Inventory) -> int:
    """Copy every object of one content-addressed key space to ``prefix`` in the backup;
    how many. An object deleted meanwhile (``nbopen xet gc``) was unreferenced: skipped."""
    from nbopen.core.storage import object_key

    count = 0
    for key in backend.oids():
        try:
            with backend.open(key) as src:
                inventory.copy_stream(src, f"{prefix}{object_key(key)}")
        except FileNotFoundError:
            continue
        count += 1
    return count


def _storage_root(url: str) -> Path | None:
    return Path(url.removeprefix("file://")).resolve() if url.startswith("file://") else None


def _copy_data(data_dir: Path, inventory: Inventory, skip: set[Path]) -> int:
    """Copy what else the data dir holds, skipping ``skip`` (the backup itself when it is
    inside the data dir, the database files, the blob storage) and server logs."""
    skip |= {Path(f"{path}{suffix}") for path in list(skip) for suffix in SQLITE_SUFFIXES}
    count = 0
    for dirpath, dirnames, filenames in os.walk(data_dir):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if here / d not in skip
            and not (here == data_dir and (d in NOT_DATA or d.startswith("pre-restore-")))
        )
        for name in sorted(filenames):
            path = here / name
            if path in skip or (here == data_dir and name.endswith(".log")):
                continue
            count += _copy_one(path, f"data/{path.relative_to(data_dir).as_posix()}", inventory)
    return count


def _copy_one(source: Path, rel: str, inventory: Inventory) -> int:
    try:
        inventory.copy_file(source, rel)
    except FileNotFoundError:
        return 0  # replaced while we copied (a conversion redone, analytics recomputed)
    return 1


def _describe_storage(url: str) -> str:
    """The storage URL without anything secret (S3 keys come from the environment anyway)."""
    return url.split("?", 1)[0]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nbopen")
    except PackageNotFoundError:
        return "unknown"
