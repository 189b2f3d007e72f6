"""``nbopen restore DIR``: a backup back into this deployment (as configured by ``NBOPEN_*``).

Run it with the server stopped, against the data dir, database and storage the restored
server will use. Steps, each only after the one before succeeded:

1. Verify the backup: the manifest is there (an interrupted backup has none), the file list
   matches its checksum, and every file has its size and sha256. Nothing is written before
   this passes, so a truncated or corrupt backup leaves the target as it was.
2. Check the target is empty: no users in the database, no repositories, no conversions.
   With ``--force`` a non-empty target is replaced, but never lost: its database (the SQLite
   files, or a ``pg_dump``), repositories and data are moved to ``DATA/pre-restore-TIME/``
   first, and the command says so.
3. Load the database, copy the repositories back (git objects that are byte-identical are
   hard-linked, as forks had them) and point them at this data dir's hooks, put LFS objects
   Xet xorbs and the competitions' vault (ground truths, scorers, submissions) into the
   configured storage (objects already there are kept: keys are
   content hashes), copy the data files, and apply migrations (a backup of an older NBopen
   comes up to this version's schema).

Blob storage is never counted as "not empty": restoring next to the objects that survived
(the bucket of a lost server) is the common case, and adding content-addressed objects
cannot change one that is there.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbopen.ops import database
from nbopen.ops.manifest import BackupError, Entry, copy_out, read_manifest, under

if TYPE_CHECKING:
    from nbopen.core.storage import BlobStorage


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def restore(source: Path, *, force: bool = False) -> dict[str, Any]:
    """Restore the backup in ``source``; returns what was restored (and set aside)."""
    from nbopen.config.env import CONFIG

    source = source.resolve()
    _say(f"verifying {source}")
    manifest, entries = read_manifest(source)
    db = database.settings()
    kind = database.kind(db)
    database.preflight(db)
    if manifest["database"]["kind"] != kind:
        raise BackupError(
            f"the backup holds a {manifest['database']['kind']} database and this deployment "
            f"uses {kind}: restore with the same kind of database (NBOPEN_DATABASE_URL)"
        )
    _check_paths(entries, manifest["database"]["file"])
    data_dir = CONFIG.data_dir
    occupied = _occupied(db, data_dir, CONFIG.git_root)
    aside: list[str] = []
    if occupied:
        if not force:
            raise BackupError(
                "the target is not empty (" + "; ".join(occupied) + "): restore into a new "
                "data dir and database, or pass --force to replace it (what is there now is "
                "kept in DATA/pre-restore-TIME/)"
            )
        aside = _set_aside(db, data_dir, entries)
        _say(f"the current data was moved aside: {', '.join(aside)}")

    try:
        database.load(db, source, manifest["database"]["file"])
        repos = _restore_git(source, entries, CONFIG.git_root, data_dir / "hooks")
        lfs, xet, vaulted = _restore_objects(source, entries, CONFIG.tmp_dir)
        data = 0
        for entry in under(entries, "data/"):
            target = data_dir / entry.path.removeprefix("data/")
            copy_out(source / entry.path, target)
            if target.name in ("secret_key", "ssh_host_ed25519_key"):  # private keys
                target.chmod(0o600)
            data += 1
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
    except Exception as exc:
        raise BackupError(
            f"restore failed part way ({exc}); the target is partly restored: fix the cause "
            "and run the restore again with --force (the partial state is moved aside)"
        ) from exc
    return {
        "backup": str(source),
        "created": manifest["created"],
        "database": kind,
        "restored": {
            "repositories": repos,
            "lfs_objects": lfs,
            "xet_xorbs": xet,
            "challenge_objects": vaulted,
            "data_files": data,
        },
        "set_aside": aside,
    }


def _check_paths(entries: list[Entry], database_file: str) -> None:
    """Only what a backup writes may be restored: a crafted file list must not place files
    among the hooks, the temp files or anywhere else NBopen does not expect them."""
    from nbopen.ops.backup import NOT_DATA

    for entry in entries:
        path = entry.path
        if path == database_file or path.startswith((*OBJECT_PREFIXES, "git/")):
            continue
        if path.startswith("data/") and path.split("/")[1] not in NOT_DATA:
            continue
        raise BackupError(f"the backup lists {path!r}, which no NBopen backup writes")


def _occupied(db: dict[str, Any], data_dir: Path, git_root: Path) -> list[str]:
    from nbopen.ops.backup import repositories

    found = []
    if not database.is_empty(db):
        found.append("the database holds users or repositories")
    repos = repositories(git_root) if git_root.exists() else []
    if repos:
        found.append(f"{len(repos)} repositories in {git_root}")
    datasets = data_dir / "datasets"
    if datasets.exists() and any(datasets.iterdir()):
        found.append(f"dataset conversions in {datasets}")
    return found


def _set_aside(db: dict[str, Any], data_dir: Path, entries: list[Entry]) -> list[str]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = data_dir / f"pre-restore-{stamp}"
    moved = database.set_aside(db, aside / "database")
    names = {"git"} | {e.path.split("/")[1] for e in under(entries, "data/")}
    for name in sorted(names):
        path = data_dir / name
        if path.exists():
            os.replace(path, aside / name)
            moved.append(str(aside / name))
    return moved


def _restore_git(source: Path, entries: list[Entry], git_root: Path, hooks: Path) -> int:
    from nbopen.repos.git.bare import configure_server, install_hooks

    by_hash: dict[str, Path] = {}
    repos: set[Path] = set()
    for entry in under(entries, "git/"):
        rel = entry.path.removeprefix("git/")
        target = git_root / rel
        repo_rel, _, inner = rel.partition(".git/")
        repos.add(git_root / f"{repo_rel}.git")
        first = by_hash.get(entry.sha256) if inner.startswith("objects/") else None
        if first is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(first, target)  # immutable object files, shared as forks shared them
                continue
            except OSError:
                pass
        copy_out(source / entry.path, target)
        if inner.startswith("objects/"):
            by_hash.setdefault(entry.sha256, target)
    hooks_dir = install_hooks(hooks)
    for repo in sorted(repos):
        for sub in ("refs/heads", "refs/tags", "objects/info", "objects/pack"):
            (repo / sub).mkdir(parents=True, exist_ok=True)
        configure_server(repo, hooks_dir=hooks_dir)
    return len(repos)


def _key_spaces() -> list[tuple[str, BlobStorage]]:
    """Where each ``objects/`` prefix of a backup goes back to (see ``ops.backup``)."""
    from nbopen.challenges.vault import vault
    from nbopen.core.storage import get_storage
    from nbopen.xet.storage import xorb_storage

    return [
        ("objects/lfs/", get_storage()),
        ("objects/xet/", xorb_storage()),
        ("objects/challenges/", vault()),
    ]


OBJECT_PREFIXES = ("objects/lfs/", "objects/xet/", "objects/challenges/")


def _restore_objects(source: Path, entries: list[Entry], tmp_dir: Path) -> tuple[int, int, int]:
    """Put the objects back: LFS, Xet, the competitions' vault (how many of each)."""
    counts = []
    tmp_dir.mkdir(parents=True, exist_ok=True)
    for prefix, backend in _key_spaces():
        count = 0
        for entry in under(entries, prefix):
            key = entry.path.rsplit("/", 1)[1]
            count += 1
            if backend.size(key) == entry.size:
                continue  # content-addressed: the same key holds the same bytes
            fd, name = tempfile.mkstemp(prefix="restore-", dir=tmp_dir)
            os.close(fd)
            shutil.copyfile(source / entry.path, name)
            backend.put_verified(key, Path(name))  # consumes the temp file
        counts.append(count)
    return counts[0], counts[1], counts[2]
