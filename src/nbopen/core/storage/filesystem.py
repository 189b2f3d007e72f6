"""Objects as files under one directory: the embedded default."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from nbopen.core.storage.base import OID_RE, object_key


class FilesystemStorage:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, oid: str) -> Path:
        return self.root / object_key(oid)

    def size(self, oid: str) -> int | None:
        try:
            return self._path(oid).stat().st_size
        except FileNotFoundError:
            return None

    def put_verified(self, oid: str, source: Path) -> None:
        target = self._path(oid)
        target.parent.mkdir(parents=True, exist_ok=True)
        # rename is atomic within a filesystem; across filesystems fall back to copy+rename.
        try:
            os.replace(source, target)
        except OSError:
            staging = target.with_name(target.name + ".partial")
            with open(source, "rb") as src, open(staging, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            os.replace(staging, target)
            source.unlink(missing_ok=True)

    def open(self, oid: str) -> BinaryIO:
        return open(self._path(oid), "rb")

    def local_path(self, oid: str) -> Path | None:
        path = self._path(oid)
        return path if path.exists() else None

    def download_url(self, oid: str, *, expires: int, filename: str | None = None) -> str | None:
        return None

    def delete(self, oid: str) -> None:
        self._path(oid).unlink(missing_ok=True)

    def oids(self) -> Iterator[str]:
        for first in sorted(_hex_dirs(self.root)):
            for second in sorted(_hex_dirs(first)):
                for entry in os.scandir(second):
                    prefix = first.name + second.name
                    if entry.is_file() and OID_RE.match(entry.name) and entry.name[:4] == prefix:
                        yield entry.name


def _hex_dirs(path: Path) -> list[Path]:
    try:
        entries = list(os.scandir(path))
    except FileNotFoundError:
        return []
    return [
        Path(e.path)
        for e in entries
        if e.is_dir() and len(e.name) == 2 and all(c in "0123456789abcdef" for c in e.name)
    ]
