"""The ModelScope download API of an upstream (``/api/v1/{models,datasets}/{id}/repo…``), as
far as a mirror needs it: the file list of the default revision with each file's sha256 and
LFS flag, and a file's bytes (``repo?Revision=&FilePath=``, redirects checked by :mod:`.net`).

It is the API the ModelScope SDK speaks, served by modelscope.cn and by NBopen itself
(``hubapi/hf/modelscope.py``), so a ModelScope upstream is mirrored like a Hugging Face one.
Why a fingerprint for a revision: this API names revisions by branch (``master``) and gives
no commit id, so the mirror's ``upstream_revision`` is the sha256 of the file list (paths,
sizes, hashes): it changes exactly when a file does, which is what a refresh must notice.
Downloads ask for the same branch; a file that moved meanwhile fails its sha256 check and is
never stored (the next refresh sees the new list).

A repository the upstream lists only with the token is private there: it is reported as such
(the file list asked once anonymously), and :mod:`.pull` decides what a private one may become.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import quote, urlencode

from nbopen.mirrors import net, upstreams
from nbopen.mirrors.models import Upstream
from nbopen.mirrors.remote import RemoteFile, RemoteRepo, get_json

REVISION = "master"  # ModelScope's name for the default revision (NBopen maps it too)
PAGE_SIZE = 500
MAX_PAGES = 2000
SHA256_HEX = frozenset("0123456789abcdef")


def _base(upstream: Upstream, repo_type: str, repo_id: str) -> str:
    plural = "datasets" if repo_type == "dataset" else "models"
    return f"{upstream.url}/api/v1/{plural}/{quote(repo_id)}/repo"


def _page(url: str, token: str | None) -> list[dict[str, Any]] | None:
    found = get_json(url, token)
    if found is None:
        return None
    envelope = found[0]
    if not isinstance(envelope, dict):
        raise net.UpstreamError(f"{url}: not a ModelScope answer")
    if not envelope.get("Success", envelope.get("Code") == 200):
        code = envelope.get("Code")
        if code in {401, 403, 404}:
            return None
        raise net.UpstreamError(f"{url}: {envelope.get('Message') or code}")
    files = (envelope.get("Data") or {}).get("Files")
    if not isinstance(files, list):
        raise net.UpstreamError(f"{url}: no file list")
    return files


def list_files(
    upstream: Upstream, repo_type: str, repo_id: str, token: str | None
) -> list[dict[str, Any]] | None:
    """Every entry of the default revision, or None when the upstream does not show it."""
    base = _base(upstream, repo_type, repo_id)
    query = {"Revision": REVISION, "Recursive": "true"}
    if repo_type != "dataset":
        return _page(f"{base}/files?{urlencode(query)}", token)
    entries: list[dict[str, Any]] = []
    for number in range(1, MAX_PAGES + 1):
        paged = {**query, "PageNumber": str(number), "PageSize": str(PAGE_SIZE)}
        page = _page(f"{base}/tree?{urlencode(paged)}", token)
        if page is None:
            return None if number == 1 else entries
        entries += page
        if len(page) < PAGE_SIZE:
            return entries
    raise net.UpstreamError(f"{repo_id}: more than {MAX_PAGES} pages of files")


def _remote_file(entry: dict[str, Any]) -> RemoteFile:
    try:
        path = str(entry["Path"])
        size = int(entry["Size"])
        sha256 = str(entry["Sha256"]).lower()
    except (KeyError, TypeError, ValueError) as exc:
        raise net.UpstreamError(f"a file entry without {exc}") from exc
    if len(sha256) != 64 or not set(sha256) <= SHA256_HEX:
        raise net.UpstreamError(f"{path}: not a sha256")
    if entry.get("IsLFS"):
        return RemoteFile(path=path, blob_oid="", size=size, lfs_oid=sha256, lfs_size=size)
    return RemoteFile(path=path, blob_oid="", size=size, sha256=sha256)


def repo_at(upstream: Upstream, repo_type: str, repo_id: str) -> RemoteRepo | None:
    """The upstream's repository at its default revision, or None if it does not show it."""
    token = upstreams.token_of(upstream)
    entries = list_files(upstream, repo_type, repo_id, token)
    if entries is None:
        return None
    files = [_remote_file(e) for e in entries if e.get("Type", "blob") == "blob"]
    files.sort(key=lambda f: f.path)
    fingerprint = hashlib.sha256(
        json.dumps(
            [[f.path, f.size, f.lfs_oid or f.sha256] for f in files], separators=(",", ":")
        ).encode()
    ).hexdigest()
    private = token is not None and list_files(upstream, repo_type, repo_id, None) is None
    return RemoteRepo(id=repo_id, sha=fingerprint, private=private, gated=False, files=files)


def file_url(upstream: Upstream, repo_type: str, repo_id: str, path: str) -> str:
    query = urlencode({"Revision": REVISION, "FilePath": path})
    return f"{_base(upstream, repo_type, repo_id)}?{query}"
