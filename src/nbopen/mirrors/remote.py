"""What a mirror learns of an upstream repository, whatever API it speaks (:mod:`.hub` for
Hugging Face, :mod:`.modelscope`), and the JSON reader both use."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import urllib3

from nbopen.mirrors import net

NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
MAX_JSON = 64 * 1024 * 1024


@dataclass(frozen=True)
class RemoteFile:
    path: str
    blob_oid: str  # git blob id upstream (of the pointer, for an LFS file)
    size: int
    lfs_oid: str | None = None
    lfs_size: int | None = None
    # A regular file's content sha256 when the upstream lists no git blob id we can trust
    # (ModelScope): the bytes are checked against it and their blob id computed locally.
    sha256: str | None = None


@dataclass(frozen=True)
class RemoteRepo:
    id: str
    sha: str
    private: bool
    gated: bool
    files: list[RemoteFile]


def get_json(url: str, token: str | None) -> tuple[Any, str | None] | None:
    """(JSON, next page URL) of ``url`` asked with ``token`` (None: anonymously), or None
    when the upstream does not have it (or hides it)."""
    response = net.request("GET", url, token=token)
    try:
        if response.status in {401, 403, 404}:
            return None
        if response.status != 200:
            raise net.UpstreamError(f"{url}: HTTP {response.status}")
        body = response.read(MAX_JSON + 1)
        if len(body) > MAX_JSON:
            raise net.UpstreamError(f"{url}: answer too large")
        link = NEXT_LINK.search(response.headers.get("link") or "")
        return json.loads(body), urljoin(url, link.group(1)) if link else None
    except (ValueError, urllib3.exceptions.HTTPError) as exc:
        raise net.UpstreamError(f"{url}: {exc}") from exc
    finally:
        response.release_conn()
