"""Xet ↔ LFS: one LFS object id (sha256) can be backed by LFS storage or by a Xet file.

``hf_xet`` uploads a large file as chunks and then commits an ordinary LFS pointer
(``lfsFile`` with the sha256). git-lfs clients, browsers and old Hub clients know only that
sha256, so the repository's LFS registry must link it, and the bytes must be served by
reconstructing the Xet file. The link is made at commit time, after the server recomputed
the sha256 from the reconstructed bytes: the sha256 in a shard is only the client's claim,
and the LFS registry must never map an oid to other bytes. This module only verifies; the
link itself is written by the write service (``repos.writes.objects.adopt_xet``).

A file counts as *Xet-backed for a repository* when a verified :class:`XetFile` with that
sha256 is referenced by the repository (``XetFileRef``): the same rule that lets its CAS
token reconstruct the file, so no new way to reach bytes is created.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator

from nbopen.repos.models import Repository
from nbopen.xet import services
from nbopen.xet.models import XetFile

UNCLAIMED_LIMIT = 4  # each one costs a full read of the file, so only the newest few


def backing_file(repo_id: int, oid: str, size: int | None = None) -> XetFile | None:
    """The verified Xet file holding LFS object ``oid`` in repository ``repo_id``, if any."""
    qs = XetFile.objects.filter(sha256=oid, sha256_verified=True, refs__repository_id=repo_id)
    if size is not None:
        qs = qs.filter(size=size)
    return qs.order_by("created_at").first()


def backing_hashes(repo_id: int, oids: list[str]) -> dict[str, str]:
    """oid → Xet file hash for the ``oids`` that are Xet-backed in this repository."""
    if not oids:
        return {}
    rows = XetFile.objects.filter(
        sha256__in=set(oids), sha256_verified=True, refs__repository_id=repo_id
    ).values_list("sha256", "file_hash")
    out: dict[str, str] = {}
    for sha, file_hash in rows:
        out.setdefault(sha, file_hash)
    return out


def sha256_of(xet_file: XetFile) -> str:
    digest = hashlib.sha256()
    for piece in services.iter_file_bytes(xet_file=xet_file, byte_range=None):
        digest.update(piece)
    return digest.hexdigest()


def _candidates(repo: Repository, oid: str, size: int | None) -> list[XetFile]:
    """The repository's Xet files that may hold ``oid``: those claiming it, else (hf_xet does
    not always send the sha256 in its shard) its newest unverified files of the same size."""
    claimed = XetFile.objects.filter(sha256=oid, refs__repository=repo)
    if size is not None:
        claimed = claimed.filter(size=size)
    found = list(claimed.order_by("-sha256_verified", "created_at"))
    if found or size is None:
        return found
    unclaimed = XetFile.objects.filter(
        refs__repository=repo, size=size, sha256_verified=False
    ).order_by("-refs__created_at")
    return list(unclaimed[:UNCLAIMED_LIMIT])


def verified_size(repo: Repository, oid: str, size: int | None) -> int | None:
    """The size of LFS object ``oid`` if one of the repository's Xet files has those bytes.

    Candidates are the repository's Xet files whose (claimed or verified) sha256 is ``oid``.
    An unverified claim is checked by hashing the reconstruction once; a wrong claim is
    corrected, so it can never be used again. Returns None when no file holds ``oid``.
    """
    candidates = _candidates(repo, oid, size)
    for xet_file in candidates:
        if not xet_file.sha256_verified:
            actual = sha256_of(xet_file)
            XetFile.objects.filter(pk=xet_file.pk).update(sha256=actual, sha256_verified=True)
            if actual != oid:
                continue
        return int(xet_file.size)
    return None


class XetReader(io.RawIOBase):
    """A read-only file object over a reconstructed Xet file (for code that wants ``read``)."""

    def __init__(self, xet_file: XetFile) -> None:
        self._pieces: Iterator[bytes] = services.iter_file_bytes(xet_file=xet_file, byte_range=None)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buffer:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._buffer = piece
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def open_object(repo_id: int, oid: str) -> io.BufferedReader | None:
    """A reader over the Xet-backed bytes of LFS object ``oid`` in this repository, or None."""
    xet_file = backing_file(repo_id, oid)
    if xet_file is None:
        return None
    return io.BufferedReader(XetReader(xet_file), buffer_size=1 << 20)


def open_verified(oid: str) -> io.BufferedReader | None:
    """Server-internal reads (dataset conversion of a committed file): any verified Xet copy."""
    xet_file = XetFile.objects.filter(sha256=oid, sha256_verified=True).first()
    if xet_file is None:
        return None
    return io.BufferedReader(XetReader(xet_file), buffer_size=1 << 20)
