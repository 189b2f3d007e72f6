"""Publishing large-file objects into a repository: storage by sha256, then the link.

An LFS object becomes fetchable through a repository only once bytes *uploaded to that
repository* were verified against its sha256 (ADR 0004): the link is the authorization.
Every channel that brings such bytes (browser uploads, Hub inline commits, multipart and
basic LFS transfers, the Parquet ref, Xet files adopted at commit time, forks) publishes
them here, so that rule is written once.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from django.db import IntegrityError, transaction

from nbopen.config.env import CONFIG
from nbopen.core.storage import get_storage
from nbopen.repos.lfs import HashingWriter, InvalidObject
from nbopen.repos.models import LFSObject, Repository, RepositoryLFSObject


def pointer_text(oid: str, size: int) -> bytes:
    """The Git LFS pointer blob for an object (what git stores in place of the bytes)."""
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n".encode()


@transaction.atomic
def link(*, repo_id: int, oid: str, size: int) -> None:
    """Record the object (if new) and that ``repo_id`` references it. Idempotent.

    Only for bytes already verified for this repository; callers normally use the
    ``publish_*`` functions, which verify first.
    """
    obj, _ = LFSObject.objects.get_or_create(oid=oid, defaults={"size": size})
    if obj.size != size:
        raise InvalidObject(f"object {oid} is known with size {obj.size}, not {size}")
    try:
        with transaction.atomic():
            RepositoryLFSObject.objects.get_or_create(repository_id=repo_id, lfs_object=obj)
    except IntegrityError:
        pass  # a concurrent upload of the same object linked it first


def publish_verified(*, repo_id: int, oid: str, size: int, staged: Path) -> None:
    """Publish ``staged`` (its sha256 and size already checked against ``oid``/``size`` by a
    :class:`~nbopen.repos.lfs.HashingWriter` while it was received) and link it. Consumes
    ``staged``; storage already holding the object keeps its copy."""
    storage = get_storage()
    if storage.size(oid) != size:
        storage.put_verified(oid, staged)
    else:
        staged.unlink(missing_ok=True)
    link(repo_id=repo_id, oid=oid, size=size)


def link_if_stored(*, repo_id: int, oid: str, size: int) -> bool:
    """Link an object storage already holds with this size (an upload that the client
    repeats after it reached storage); False when the bytes are still needed."""
    if get_storage().size(oid) != size:
        return False
    link(repo_id=repo_id, oid=oid, size=size)
    return True


def _staging_file() -> tuple[int, Path]:
    CONFIG.tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="lfs-publish-", dir=CONFIG.tmp_dir)
    return fd, Path(name)


def publish_bytes(*, repo_id: int, data: bytes) -> tuple[str, int]:
    """Publish ``data`` as an LFS object of the repository; returns (oid, size)."""
    oid = hashlib.sha256(data).hexdigest()
    fd, staged = _staging_file()
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    publish_verified(repo_id=repo_id, oid=oid, size=len(data), staged=staged)
    return oid, len(data)


def publish_file(*, repo_id: int, source: Path, expected_oid: str | None = None) -> tuple[str, int]:
    """Publish a copy of ``source`` (left in place) as an LFS object; returns (oid, size).

    The copy is hashed while it is written, so a wrong ``expected_oid`` is refused
    (:class:`~nbopen.repos.lfs.InvalidObject`) before anything is published.
    """
    fd, staged = _staging_file()
    size = source.stat().st_size
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            writer = HashingWriter(out, size)
            while chunk := src.read(1 << 20):
                writer.write(chunk)
        oid = writer.sha256.hexdigest()
        if expected_oid is not None:
            writer.check(expected_oid)
        publish_verified(repo_id=repo_id, oid=oid, size=size, staged=staged)
    finally:
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()
    return oid, size


def adopt_xet(*, repo: Repository, oid: str, size: int | None) -> int | None:
    """Link LFS object ``oid`` when one of the repository's Xet files holds exactly those
    bytes (the server recomputes the sha256; see :mod:`nbopen.xet.lfs_bridge`). Returns the
    object's size, or None."""
    from nbopen.xet import lfs_bridge

    verified = lfs_bridge.verified_size(repo, oid, size)
    if verified is not None:
        link(repo_id=repo.pk, oid=oid, size=verified)
    return verified


def link_fork(*, source: Repository, fork: Repository) -> None:
    """A fork references everything its source references (LFS objects and Xet files):
    those links are what authorizes downloads through the fork."""
    RepositoryLFSObject.objects.bulk_create(
        [
            RepositoryLFSObject(repository=fork, lfs_object_id=oid)
            for oid in RepositoryLFSObject.objects.filter(repository=source).values_list(
                "lfs_object_id", flat=True
            )
        ],
        ignore_conflicts=True,
    )
    from nbopen.xet.models import XetFileRef, XorbRef

    XetFileRef.objects.bulk_create(
        [
            XetFileRef(repository=fork, file_id=file_id)
            for file_id in XetFileRef.objects.filter(repository=source).values_list(
                "file_id", flat=True
            )
        ],
        ignore_conflicts=True,
    )
    XorbRef.objects.bulk_create(
        [
            XorbRef(repository=fork, xorb_id=xorb_id)
            for xorb_id in XorbRef.objects.filter(repository=source).values_list(
                "xorb_id", flat=True
            )
        ],
        ignore_conflicts=True,
    )
