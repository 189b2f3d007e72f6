"""The Hugging Face Hub API of an upstream, as far as a mirror needs it: a repository's
revision (``/api/{type}s/{id}[/revision/{rev}]``), its files with blob ids and LFS sha256
(``/tree/{sha}?recursive=true``, following ``Link: rel="next"``), and a file's bytes
(``/resolve/{sha}/{path}``, redirects checked by :mod:`.net`).

The callers' one entry point for every upstream kind: a ModelScope upstream is answered by
:mod:`.modelscope` with the same shapes, so creation, refresh and cold fetches do not care."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import urllib3

from nbopen.mirrors import modelscope, net, upstreams
from nbopen.mirrors.models import Upstream
from nbopen.mirrors.remote import RemoteFile, RemoteRepo, get_json

__all__ = ["RemoteFile", "RemoteRepo", "file_url", "open_file", "repo_at"]


def _plural(repo_type: str) -> str:
    return "datasets" if repo_type == "dataset" else "models"


def _get_json(upstream: Upstream, url: str) -> tuple[Any, str | None] | None:
    """(JSON, next page URL) or None when the upstream does not have it (or hides it)."""
    return get_json(url, upstreams.token_of(upstream))


def repo_at(
    upstream: Upstream, repo_type: str, repo_id: str, revision: str | None = None
) -> RemoteRepo | None:
    """The upstream's repository at ``revision`` (its default branch when None), or None."""
    if upstream.kind == Upstream.Kind.MODELSCOPE:
        return modelscope.repo_at(upstream, repo_type, repo_id)
    base = f"{upstream.url}/api/{_plural(repo_type)}/{quote(repo_id)}"
    found = _get_json(
        upstream, base + (f"/revision/{quote(revision, safe='')}" if revision else "")
    )
    if found is None:
        return None
    info = found[0]
    sha = str(info.get("sha") or "")
    if not re.fullmatch(r"[0-9a-f]{40}", sha):
        raise net.UpstreamError(f"{repo_id}: the upstream gave no commit id")
    files: list[RemoteFile] = []
    page: str | None = f"{base}/tree/{sha}?recursive=true"
    while page:
        listed = _get_json(upstream, page)
        if listed is None:
            raise net.UpstreamError(f"{repo_id}: the upstream lists no files at {sha}")
        for entry in listed[0]:
            if entry.get("type") != "file":
                continue
            lfs = entry.get("lfs") or None
            files.append(
                RemoteFile(
                    path=str(entry["path"]),
                    blob_oid=str(entry["oid"]),
                    size=int(entry["size"]),
                    lfs_oid=str(lfs["oid"]).removeprefix("sha256:") if lfs else None,
                    lfs_size=int(lfs["size"]) if lfs else None,
                )
            )
        page = listed[1]
    return RemoteRepo(
        id=str(info.get("id") or repo_id),
        sha=sha,
        private=bool(info.get("private")),
        gated=bool(info.get("gated")),
        files=files,
    )


def file_url(upstream: Upstream, repo_type: str, repo_id: str, sha: str, path: str) -> str:
    prefix = "datasets/" if repo_type == "dataset" else ""
    return f"{upstream.url}/{prefix}{quote(repo_id)}/resolve/{sha}/{quote(path)}"


def open_file(
    upstream: Upstream, repo_type: str, repo_id: str, sha: str, path: str
) -> urllib3.BaseHTTPResponse:
    """A streaming response for the file's bytes (status 200 checked); release it when done."""
    if upstream.kind == Upstream.Kind.MODELSCOPE:
        url = modelscope.file_url(upstream, repo_type, repo_id, path)
    else:
        url = file_url(upstream, repo_type, repo_id, sha, path)
    response = net.request("GET", url, token=upstreams.token_of(upstream))
    if response.status != 200:
        response.release_conn()
        raise net.UpstreamError(f"{url}: HTTP {response.status}")
    return response
