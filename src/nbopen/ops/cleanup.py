"""Removing what interrupted writes leave behind (``nbopen gc``, and ``nbopen serve`` at start).

Every upload channel stages its bytes in a temp file and publishes them only when they are
complete and verified (LFS PUT, multipart parts, Hub commit bodies, Xet xorbs, browser
uploads, dataset sources). A process killed mid-upload never reaches its ``finally``, so the
temp file stays — a ``kill -9`` during a 400 MB LFS upload used to leave 153 MB for good.

What counts as stale, so that a file still in use is never removed:

- it has not been modified (mtime) for the grace period, 24 hours by default. An upload in
  flight writes continuously, so its file is seconds old; the longest a staged file
  legitimately waits untouched is a multipart upload's finished parts, until the signed URLs
  of that upload expire (1 hour), or a push's log while git receives a large pack. And
- no process on this machine has it open (read from ``/proc/*/fd`` on Linux; elsewhere the
  age alone decides). A worker on another machine sharing the data dir is covered by the age.

Directories are removed only when empty and stale themselves; the top-level directories
(``tmp/``, ``tmp/multipart/`` …) are kept.

Where: ``$DATA/tmp`` (all staging), ``$DATA/trash`` (trees whose background delete was cut
short: always garbage, nothing reads them), each repository's ``nbopen-tmp/`` (index files of
commits made without a work tree) and git's own leftovers in ``objects/`` (a receive-pack
quarantine ``tmp_objdir-incoming-*``, packs being written ``tmp_pack_*``), and ``*.partial``
files of filesystem blob storage; with S3 storage, multipart uploads begun before the grace
period and never completed (a process killed inside an upload to the bucket).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_GRACE_SECONDS = 24 * 3600


@dataclass
class Removed:
    files: int = 0
    bytes: int = 0
    directories: int = 0
    kept_open: int = 0
    s3_uploads: int = 0
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "files": self.files,
            "bytes": self.bytes,
            "directories": self.directories,
            "kept_open": self.kept_open,
            "s3_uploads": self.s3_uploads,
            "errors": self.errors[:20],
        }


def open_files() -> set[tuple[int, int]] | None:
    """(device, inode) of every file some process here has open; None when unknown."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return None
    found: set[tuple[int, int]] = set()
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        try:
            fds = os.listdir(proc / pid / "fd")
        except OSError:
            continue  # exited, or another user's process (cannot write our files anyway)
        for fd in fds:
            try:
                stat = os.stat(proc / pid / "fd" / fd)
            except OSError:
                continue
            found.add((stat.st_dev, stat.st_ino))
    return found


@dataclass
class _Rule:
    cutoff: float
    in_use: set[tuple[int, int]] | None
    removed: Removed

    def file(self, path: Path) -> None:
        try:
            stat = path.lstat()
        except FileNotFoundError:
            return
        if stat.st_mtime > self.cutoff:
            return
        if self.in_use is not None and (stat.st_dev, stat.st_ino) in self.in_use:
            self.removed.kept_open += 1
            return
        try:
            path.unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            self.removed.errors.append(f"{path}: {exc.strerror}")
            return
        self.removed.files += 1
        self.removed.bytes += stat.st_size

    def tree(self, root: Path, *, keep: int) -> None:
        """Stale files anywhere under ``root``, then its stale empty directories, keeping
        those fewer than ``keep`` levels below ``root`` (0 removes ``root`` itself too)."""
        if not root.is_dir():
            return
        # A directory's age as it was before we removed anything from it (each removal
        # makes it look new): stale only if nothing was added to it within the grace period.
        ages = {}
        for dirpath, _dirnames, _filenames in os.walk(root):
            with contextlib.suppress(OSError):
                ages[dirpath] = os.stat(dirpath).st_mtime
        for dirpath, _dirnames, filenames in os.walk(root, topdown=False):
            here = Path(dirpath)
            for name in filenames:
                self.file(here / name)
            if len(here.relative_to(root).parts) < keep:
                continue
            if ages.get(dirpath, self.cutoff + 1) > self.cutoff:
                continue
            try:
                here.rmdir()  # refused, and skipped, when not empty
            except OSError:
                continue
            self.removed.directories += 1

    def entries(self, directory: Path, prefixes: tuple[str, ...]) -> None:
        """Stale entries of ``directory`` whose names start with one of ``prefixes``."""
        try:
            found = list(os.scandir(directory))
        except FileNotFoundError:
            return
        for entry in found:
            if not entry.name.startswith(prefixes):
                continue
            if entry.is_dir(follow_symlinks=False):
                self.tree(Path(entry.path), keep=0)
            else:
                self.file(Path(entry.path))


def collect(
    *,
    data_dir: Path,
    git_root: Path,
    storage_root: Path | None,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    now: float | None = None,
    in_use: set[tuple[int, int]] | None = None,
) -> Removed:
    """Remove every stale leftover of a deployment (see the module docstring); ``in_use``
    defaults to the files open on this machine."""
    cutoff = (time.time() if now is None else now) - grace_seconds
    removed = Removed()
    rule = _Rule(cutoff, open_files() if in_use is None else in_use, removed)
    rule.tree(data_dir / "tmp", keep=2)
    trash = data_dir / "trash"
    if trash.is_dir():
        for entry in os.scandir(trash):
            path = Path(entry.path)
            size = _tree_size(path)
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path, ignore_errors=True)  # its own background job may race us
            else:
                path.unlink(missing_ok=True)
            if not path.exists():
                removed.directories += 1
                removed.bytes += size
    if git_root.is_dir():
        for repo in git_root.glob("??/*.git"):
            rule.tree(repo / "nbopen-tmp", keep=1)
            rule.entries(repo / "objects", ("tmp_", "incoming-"))
            rule.entries(repo / "objects" / "pack", ("tmp_",))
    if storage_root is not None:
        for pattern in ("??/??/*.partial", "xet/??/??/*.partial"):
            for path in storage_root.glob(pattern):
                rule.file(path)
    return removed


def _tree_size(path: Path) -> int:
    try:
        if not path.is_dir():
            return path.lstat().st_size
        return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file())
    except OSError:
        return 0


def collect_deployment(*, grace_seconds: float = DEFAULT_GRACE_SECONDS) -> Removed:
    """:func:`collect` for the deployment ``NBOPEN_*`` configures."""
    from nbopen.config.env import CONFIG

    storage = CONFIG.storage_url
    root = Path(storage.removeprefix("file://")) if storage.startswith("file://") else None
    removed = collect(
        data_dir=CONFIG.data_dir,
        git_root=CONFIG.git_root,
        storage_root=root,
        grace_seconds=grace_seconds,
    )
    if storage.startswith("s3://"):
        from nbopen.core.storage import get_storage

        abort = getattr(get_storage(), "abort_stale_uploads", None)
        if abort is not None:  # the LFS prefix holds Xet's xet/ too: one listing covers both
            try:
                removed.s3_uploads = abort(started_before=time.time() - grace_seconds)
            except Exception as exc:  # the bucket may refuse the listing; files were done
                removed.errors.append(f"S3 multipart uploads: {exc}")
    return removed
