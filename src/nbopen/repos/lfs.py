"""Git LFS objects: the batch decisions, upload verification, and which links exist.

Links are written by the write service (:mod:`nbopen.repos.writes.objects`).

An object becomes fetchable through a repository only once an upload *to that repository*
was verified (or it was linked by a commit of that repository). Knowing an oid is not enough
to get its bytes, even if another repository already stores the same content.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from nbopen.core.storage import get_storage
from nbopen.core.storage.base import OID_RE
from nbopen.repos.models import Repository, RepositoryLFSObject

MAX_OBJECT_SIZE = 1 << 40  # 1 TiB: anything larger is a malformed request


class InvalidObject(ValueError):
    pass


@dataclass(frozen=True)
class ObjectSpec:
    oid: str
    size: int


def parse_objects(raw: Any, *, limit: int = 10_000) -> list[ObjectSpec]:
    if not isinstance(raw, list) or not raw:
        raise InvalidObject("'objects' must be a non-empty list")
    if len(raw) > limit:
        raise InvalidObject(f"at most {limit} objects per batch")
    specs = []
    for item in raw:
        if not isinstance(item, dict):
            raise InvalidObject("each object must be a JSON object")
        oid, size = item.get("oid"), item.get("size")
        if not isinstance(oid, str) or not OID_RE.match(oid):
            raise InvalidObject(f"invalid oid {oid!r}: expected 64 lowercase hex digits")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_OBJECT_SIZE:
            raise InvalidObject(f"invalid size for {oid}")
        specs.append(ObjectSpec(oid, size))
    return specs


def linked_sizes(repo: Repository, oids: list[str]) -> dict[str, int]:
    """oid → size for the objects ``repo`` references among ``oids``."""
    rows = RepositoryLFSObject.objects.filter(repository=repo, lfs_object_id__in=oids).values_list(
        "lfs_object_id", "lfs_object__size"
    )
    return dict(rows)


def is_linked(repo: Repository, oid: str, size: int | None = None) -> bool:
    qs = RepositoryLFSObject.objects.filter(repository=repo, lfs_object_id=oid)
    if size is not None:
        qs = qs.filter(lfs_object__size=size)
    if not qs.exists():
        return False
    if get_storage().size(oid) is not None:
        return True
    from nbopen.xet.lfs_bridge import backing_file  # the bytes may live in Xet chunk storage

    return backing_file(repo.pk, oid, size) is not None


class HashingWriter:
    """Write a stream to a file while hashing it; refuses to exceed the announced size."""

    def __init__(self, fh: Any, expected_size: int) -> None:
        self.fh = fh
        self.expected_size = expected_size
        self.size = 0
        self.sha256 = hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.expected_size:
            raise InvalidObject("upload is larger than the announced size")
        self.sha256.update(chunk)
        self.fh.write(chunk)

    def check(self, oid: str) -> None:
        if self.size != self.expected_size:
            raise InvalidObject(
                f"size mismatch: got {self.size} bytes, expected {self.expected_size}"
            )
        if self.sha256.hexdigest() != oid:
            raise InvalidObject("content does not match its oid (sha256 mismatch)")
