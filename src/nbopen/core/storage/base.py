"""The storage interface every backend implements."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

OID_RE = re.compile(r"[0-9a-f]{64}\Z")
# A stored object's key relative to the backend's root: the sharded form of object_key.
KEY_RE = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/(\1\2[0-9a-f]{60})\Z")


def object_key(oid: str) -> str:
    """Relative key of an object: sharded so no directory holds millions of files."""
    if not OID_RE.match(oid):
        raise ValueError(f"not a sha256 oid: {oid!r}")
    return f"{oid[0:2]}/{oid[2:4]}/{oid}"


class BlobStorage(Protocol):
    def size(self, oid: str) -> int | None:
        """Size in bytes, or None when the object is absent."""

    def put_verified(self, oid: str, source: Path) -> None:
        """Publish ``source`` (already hashed to ``oid``) under ``oid``; consumes ``source``."""

    def open(self, oid: str) -> BinaryIO:
        """Open the object for reading; raises FileNotFoundError when absent."""

    def local_path(self, oid: str) -> Path | None:
        """Filesystem path of the object when the backend has one (lets the server sendfile)."""

    def download_url(self, oid: str, *, expires: int, filename: str | None = None) -> str | None:
        """A presigned URL that serves the object without NBopen, or None if not supported."""

    def delete(self, oid: str) -> None:
        """Remove the object if present."""

    def oids(self) -> Iterator[str]:
        """Every stored object's oid, in no particular order (for backups and audits).

        Only keys of the sharded form are listed, so another key space under the same root
        (Xet's ``xet/``) is never mistaken for objects of this one.
        """
