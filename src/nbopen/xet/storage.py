"""Xorb bytes in the same backend as LFS objects, under a separate ``xet/`` key space.

Xorb hashes and LFS sha256 oids are both 64 hex digits; keeping xorbs under their own
prefix means the two can never collide or be garbage-collected by the other's rules. Only
the backend classes of ``nbopen.core.storage`` are reused; range reads are added here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from nbopen.config.env import CONFIG
from nbopen.core.storage import BlobStorage, storage_from_url


def _xet_url(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + "/xet"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


@cache
def xorb_storage() -> BlobStorage:
    return storage_from_url(_xet_url(CONFIG.storage_url))


def put(xorb_hex: str, source: Path) -> None:
    xorb_storage().put_verified(xorb_hex, source)


def exists(xorb_hex: str) -> bool:
    return xorb_storage().size(xorb_hex) is not None


def read_range(key: str, start: int, end: int) -> bytes:
    """Bytes ``[start, end)`` of a stored xorb."""
    return range_of(xorb_storage(), key, start, end)


def range_of(backend: BlobStorage, key: str, start: int, end: int) -> bytes:
    local = backend.local_path(key)
    if local is not None:
        with open(local, "rb") as fh:
            fh.seek(start)
            return fh.read(end - start)
    client = getattr(backend, "client", None)
    if client is not None:  # S3: a ranged GET instead of reading the whole object
        response = client.get_object(
            Bucket=backend.bucket,  # type: ignore[attr-defined]
            Key=backend._key(key),  # type: ignore[attr-defined]
            Range=f"bytes={start}-{end - 1}",
        )
        return bytes(response["Body"].read())
    with backend.open(key) as fh:
        fh.seek(start)
        return fh.read(end - start)


def delete(xorb_hex: str) -> None:
    xorb_storage().delete(xorb_hex)
