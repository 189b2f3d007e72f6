"""Ground truths, host scorers and submitted files: in the storage backend, under a private
``challenges/`` key space that no route serves.

Why not a repository (even a private one): everything in a repository is reachable by someone
through git, the Hub, LFS, Xet, the viewer or a fork; a key space that only this module names
can be reached by nothing but the scoring task. The LFS and Xet routes resolve oids in their
own key spaces (the backend's root and ``xet/``), so an oid of a ground truth never resolves
there either.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from nbopen.config.env import CONFIG
from nbopen.core.storage import BlobStorage, storage_from_url

PREFIX = "challenges"


class Readable(Protocol):
    """A request body, an uploaded file or an open file: anything with ``read(n)``."""

    def read(self, size: int = ..., /) -> bytes: ...


def _private_url(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + "/" + PREFIX
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


@cache
def vault() -> BlobStorage:
    return storage_from_url(_private_url(CONFIG.storage_url))


def put_stream(source: Readable, *, limit: int) -> tuple[str, int]:
    """Store ``source`` (at most ``limit`` bytes, else ValueError); (oid, size)."""
    CONFIG.tmp_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=CONFIG.tmp_dir, delete=False) as out:
        try:
            while chunk := source.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise ValueError(f"larger than {limit} bytes")
                digest.update(chunk)
                out.write(chunk)
        except BaseException:
            Path(out.name).unlink(missing_ok=True)
            raise
    oid = digest.hexdigest()
    if vault().size(oid) is None:
        vault().put_verified(oid, Path(out.name))
    else:
        Path(out.name).unlink(missing_ok=True)
    return oid, size


def copy_to(oid: str, target: Path) -> None:
    """Write the stored object to the local file ``target`` (the scorer's work dir)."""
    with vault().open(oid) as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
