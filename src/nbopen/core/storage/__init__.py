"""Content-addressed blob storage for LFS objects (filesystem or S3-compatible).

Objects are keyed by their sha256 ``oid``. Writers hand over a local file that has already
been hashed and verified, so nothing half-written ever becomes visible under an oid.
"""

from __future__ import annotations

from functools import cache

from nbopen.config.env import CONFIG
from nbopen.core.storage.base import BlobStorage, object_key

__all__ = ["BlobStorage", "get_storage", "object_key", "storage_from_url"]


def storage_from_url(url: str) -> BlobStorage:
    if url.startswith("file://"):
        from nbopen.core.storage.filesystem import FilesystemStorage

        return FilesystemStorage(url.removeprefix("file://"))
    if url.startswith("s3://"):
        from nbopen.core.storage.s3 import S3Storage

        return S3Storage.from_url(url)
    raise ValueError(f"unsupported NBOPEN_STORAGE_URL scheme: {url!r} (use file:// or s3://)")


@cache
def get_storage() -> BlobStorage:
    return storage_from_url(CONFIG.storage_url)
