"""Getting a repository file's bytes as a local file, whether it is a git blob or in LFS.

An LFS-tracked file is a small pointer text in git; its content lives in blob storage under
its sha256. Local storage is read in place; anything else (git blobs, S3 objects) is copied
in 1 MiB chunks to a temporary file, never held in memory.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from nbopen.core.storage import get_storage
from nbopen.repos.git.read import TreeEntry, read_blob, stream_blob

POINTER_MAX = 1024
_POINTER = re.compile(
    rb"version https://git-lfs\.github\.com/spec/v1\s*\n"
    rb"oid sha256:([0-9a-f]{64})\s*\nsize (\d+)\s*\n?"
)


@dataclass(frozen=True)
class RepoFile:
    path: str
    git_oid: str
    size: int  # the real content size (the LFS object's, for pointers)
    lfs_oid: str | None  # sha256 when the file is stored in LFS


def parse_pointer(data: bytes) -> tuple[str, int] | None:
    m = _POINTER.match(data)
    return (m.group(1).decode(), int(m.group(2))) if m else None


def describe(repo: Path, entry: TreeEntry) -> RepoFile:
    size = entry.size or 0
    if size <= POINTER_MAX:
        pointer = parse_pointer(read_blob(repo, entry.oid))
        if pointer is not None:
            return RepoFile(entry.path, entry.oid, pointer[1], pointer[0])
    return RepoFile(entry.path, entry.oid, size, None)


class Materialized:
    """A context manager yielding a local path for a repository file."""

    def __init__(self, repo: Path, file: RepoFile, tmp_dir: Path) -> None:
        self.repo = repo
        self.file = file
        self.tmp_dir = tmp_dir
        self._tmp: Path | None = None

    def __enter__(self) -> Path:
        suffix = Path(self.file.path).suffix
        if self.file.lfs_oid is not None:
            storage = get_storage()
            local = storage.local_path(self.file.lfs_oid)
            if local is not None:
                return local
            self._tmp = self._temp(suffix)
            with self._open_lfs(self.file.lfs_oid) as src, open(self._tmp, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            return self._tmp
        self._tmp = self._temp(suffix)
        with open(self._tmp, "wb") as dst:
            for chunk in stream_blob(self.repo, self.file.git_oid):
                dst.write(chunk)
        return self._tmp

    @staticmethod
    def _open_lfs(oid: str) -> BinaryIO:
        """The object from LFS storage, or reconstructed when it was uploaded through Xet."""
        storage = get_storage()
        if storage.size(oid) is None:
            from nbopen.xet.lfs_bridge import open_verified

            reader = open_verified(oid)
            if reader is not None:
                return reader
        return storage.open(oid)

    def _temp(self, suffix: str) -> Path:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        fh = tempfile.NamedTemporaryFile(dir=self.tmp_dir, suffix=suffix, delete=False)  # noqa: SIM115
        fh.close()
        return Path(fh.name)

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)


def sha256_of(repo: Path, file: RepoFile) -> str:
    """The content's sha256 (free for LFS files: it is their oid)."""
    if file.lfs_oid is not None:
        return file.lfs_oid
    digest = hashlib.sha256()
    for chunk in stream_blob(repo, file.git_oid):
        digest.update(chunk)
    return digest.hexdigest()
