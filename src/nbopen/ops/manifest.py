"""A backup's table of contents: every file with its size and sha256, checked before restore.

Layout of a backup directory::

    MANIFEST.json        written last: format, versions, time, database kind, counts, and the
                         sha256 of files.tsv (a backup without it is incomplete)
    files.tsv            one line per file: sha256, size, path (relative, '/'-separated)
    database.sqlite3     or database.pgdump (pg_dump custom format)
    git/xx/ID.git/…      bare repositories (refs written as one packed-refs file)
    objects/lfs/aa/bb/…  LFS objects by sha256, objects/xet/aa/bb/… Xet xorbs,
    objects/challenges/aa/bb/…  the competitions' vault (ground truths, scorers, submissions)
    data/…               the rest of the data dir: dataset conversions, analytics, secret_key

Files are hashed while they are copied (one read), so the manifest costs no extra pass over
the data at backup time; restore verifies every file before it writes anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

FORMAT = "nbopen-backup"
FORMAT_VERSION = 1
MANIFEST = "MANIFEST.json"
FILES = "files.tsv"
BLOCK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot proceed; the message says why and what to do."""


@dataclass
class Entry:
    sha256: str
    size: int
    path: str


@dataclass
class Inventory:
    """The files written into a backup directory, as they are written."""

    root: Path
    entries: list[Entry] = field(default_factory=list)
    # (device, inode) of a source file → the backup path it was copied to: a file that is
    # hard-linked at the source (forks share git objects) is stored once and linked again.
    _linked: dict[tuple[int, int], Entry] = field(default_factory=dict)

    def copy_file(self, source: Path, rel: str) -> Entry:
        """Copy ``source`` to ``root/rel``, hashing while copying; raises FileNotFoundError
        when ``source`` vanished (the caller decides whether that matters)."""
        stat = source.stat()
        key = (stat.st_dev, stat.st_ino)
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        known = self._linked.get(key) if stat.st_nlink > 1 else None
        if known is not None:
            os.link(self.root / known.path, target)
            entry = Entry(known.sha256, known.size, rel)
            self.entries.append(entry)
        else:
            with open(source, "rb") as src:
                entry = self.copy_stream(src, rel)
            if stat.st_nlink > 1:
                self._linked[key] = entry
        return entry

    def copy_stream(self, src: BinaryIO, rel: str) -> Entry:
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with open(target, "wb") as dst:
            while chunk := src.read(BLOCK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        entry = Entry(digest.hexdigest(), size, rel)
        self.entries.append(entry)
        return entry

    def write_bytes(self, rel: str, data: bytes) -> Entry:
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        entry = Entry(hashlib.sha256(data).hexdigest(), len(data), rel)
        self.entries.append(entry)
        return entry

    def add_existing(self, rel: str) -> Entry:
        """Hash a file something else (pg_dump, sqlite's backup API) wrote into the backup."""
        entry = Entry(sha256_file(self.root / rel), (self.root / rel).stat().st_size, rel)
        self.entries.append(entry)
        return entry

    def finish(self, info: dict[str, Any]) -> dict[str, Any]:
        """Write files.tsv, then MANIFEST.json atomically: the backup is complete only now."""
        lines = "".join(f"{e.sha256}\t{e.size}\t{e.path}\n" for e in self.entries)
        data = lines.encode()
        (self.root / FILES).write_bytes(data)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            **info,
            "files": {
                "count": len(self.entries),
                "bytes": sum(e.size for e in self.entries),
                "list_sha256": hashlib.sha256(data).hexdigest(),
            },
        }
        partial = self.root / (MANIFEST + ".partial")
        partial.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        os.replace(partial, self.root / MANIFEST)
        return manifest


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(BLOCK):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(root: Path) -> tuple[dict[str, Any], list[Entry]]:
    """The manifest and file list of a backup, checked for completeness and integrity.

    Every listed file must exist with its size and sha256; no restore step runs before this
    returns, so a truncated or corrupt backup leaves the target untouched.
    """
    path = root / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"{root} is not a complete NBopen backup: {MANIFEST} is missing "
            "(an interrupted backup never writes it)"
        )
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} is corrupt: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not an NBopen backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"backup format {manifest.get('format_version')} is not supported "
            f"(this NBopen reads format {FORMAT_VERSION})"
        )
    try:
        data = (root / FILES).read_bytes()
    except FileNotFoundError as exc:
        raise BackupError(f"{root / FILES} is missing: the backup is incomplete") from exc
    if hashlib.sha256(data).hexdigest() != manifest["files"]["list_sha256"]:
        raise BackupError(f"{root / FILES} does not match {MANIFEST}: the backup is corrupt")
    entries = [_parse(line) for line in data.decode().splitlines()]
    if len(entries) != manifest["files"]["count"]:
        raise BackupError(
            f"{FILES} lists {len(entries)} files, {MANIFEST} says {manifest['files']['count']}"
        )
    for entry in entries:
        _verify(root, entry)
    return manifest, entries


def _parse(line: str) -> Entry:
    sha, size, rel = line.split("\t", 2)
    if rel.startswith("/") or ".." in rel.split("/"):
        raise BackupError(f"{FILES} names a path outside the backup: {rel!r}")
    return Entry(sha, int(size), rel)


def _verify(root: Path, entry: Entry) -> None:
    path = root / entry.path
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise BackupError(f"backup file {entry.path} is missing: the backup is incomplete") from exc
    if size != entry.size:
        raise BackupError(
            f"backup file {entry.path} has {size} bytes, the manifest says {entry.size}: "
            "the backup is truncated or corrupt"
        )
    if sha256_file(path) != entry.sha256:
        raise BackupError(
            f"backup file {entry.path} does not match its sha256 in the manifest: "
            "the backup is corrupt"
        )


def under(entries: list[Entry], prefix: str) -> Iterator[Entry]:
    for entry in entries:
        if entry.path.startswith(prefix):
            yield entry


def copy_out(source: Path, target: Path) -> None:
    """Restore one file: written beside ``target`` and renamed, so a reader never sees half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    shutil.copyfile(source, partial)
    os.replace(partial, target)
