"""ModelScope SDK downloads (HF_COMPAT.md §12), so ``MODELSCOPE_ENDPOINT`` users pull unchanged.

Routes: the model file listing (``repo/files``), the dataset listing (``repo/tree``,
paged; also by dataset id), a dataset's id and type (``/api/v1/datasets/{ns}/{name}``, what
``MsDataset.load`` asks first) and the per-file download (``repo?FilePath=``), which
redirects to the Hub ``/resolve/`` URL (same origin, so the client keeps its token and any
``Range``). ModelScope's default revision is ``master``; it means the default branch unless a
``master`` branch exists.
Listings give every file's content sha256 (the client verifies it), computed once per blob.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse

from nbopen.config.env import CONFIG
from nbopen.repos.git import read
from nbopen.repos.models import Repository

from . import content
from .common import URL_PREFIX, load_repo, resolve_rev

_sha256_cache: dict[str, str] = {}
_lock = threading.Lock()


def _envelope(data: Any, status: int = 200, message: str = "success") -> JsonResponse:
    return JsonResponse(
        {"Code": status, "Success": status == 200, "Message": message, "Data": data},
        status=status,
    )


def _blob_sha256(repo: Repository, oid: str) -> str:
    with _lock:
        if oid in _sha256_cache:
            return _sha256_cache[oid]
    digest = hashlib.sha256()
    for chunk in read.stream_blob(repo.git_path, oid):
        digest.update(chunk)
    value = digest.hexdigest()
    with _lock:
        _sha256_cache[oid] = value
    return value


def _revision(repo: Repository, requested: str | None) -> tuple[str, str | None]:
    rev = requested or "master"
    sha = resolve_rev(repo, rev)
    if sha is None and rev == "master":
        rev = repo.default_branch
        sha = resolve_rev(repo, rev)
    return rev, sha


def _load(
    request: HttpRequest, type_plural: str, owner: str, name: str, *, content: bool = False
) -> tuple[Repository, str, str] | HttpResponse:
    ctx = load_repo(request, type_plural, owner, name, content=content)
    if isinstance(ctx, JsonResponse):
        if ctx.get("X-Error-Code") == "GatedRepo":
            return _envelope(None, ctx.status_code, ctx["X-Error-Message"])
        return _envelope(None, ctx.status_code, "Repository not found")
    rev, sha = _revision(ctx.repo, request.GET.get("Revision"))
    if sha is None:
        return _envelope(None, 404, f"Revision {rev} not found")
    return ctx.repo, rev, sha


def _files(
    repo: Repository, rev: str, sha: str, root: str, recursive: bool
) -> list[dict[str, Any]]:
    try:
        entries, pointers = content.list_entries(repo, sha, root.strip("/"), recursive=recursive)
    except FileNotFoundError:
        return []
    files = []
    for entry in entries:
        pointer = pointers.get(entry.oid)
        is_blob = entry.type == "blob"
        item: dict[str, Any] = {
            "Path": entry.path,
            "Name": entry.path.rsplit("/", 1)[-1],
            "Type": "blob" if is_blob else "tree",
            "Size": (pointer.size if pointer else entry.size or 0) if is_blob else 0,
            "Revision": rev,
            "Id": entry.oid,
        }
        if is_blob:
            item["Sha256"] = pointer.oid if pointer else _blob_sha256(repo, entry.oid)
            item["IsLFS"] = pointer is not None
        files.append(item)
    return files


def repo_files(request: HttpRequest, type_plural: str, owner: str, name: str) -> HttpResponse:
    """``GET /api/v1/models/{ns}/{name}/repo/files?Revision=&Recursive=&Root=``."""
    loaded = _load(request, type_plural, owner, name)
    if isinstance(loaded, HttpResponse):
        return loaded
    repo, rev, sha = loaded
    recursive = request.GET.get("Recursive", "false").lower() == "true"
    return _envelope({"Files": _files(repo, rev, sha, request.GET.get("Root", ""), recursive)})


def repo_tree(request: HttpRequest, type_plural: str, owner: str, name: str) -> HttpResponse:
    """``GET /api/v1/datasets/{ns}/{name}/repo/tree?…&PageNumber=&PageSize=`` (paged)."""
    loaded = _load(request, type_plural, owner, name)
    if isinstance(loaded, HttpResponse):
        return loaded
    repo, rev, sha = loaded
    try:
        page = max(1, int(request.GET.get("PageNumber") or 1))
        size = max(1, min(int(request.GET.get("PageSize") or 200), 1000))
    except ValueError:
        return _envelope(None, 400, "PageNumber and PageSize must be integers")
    recursive = request.GET.get("Recursive", "false").lower() == "true"
    files = _files(repo, rev, sha, request.GET.get("Root", ""), recursive)
    return _envelope({"Files": files[(page - 1) * size : page * size]})


def repo_file(request: HttpRequest, type_plural: str, owner: str, name: str) -> HttpResponse:
    """``GET /api/v1/{t}s/{ns}/{name}/repo?Revision=&FilePath=`` → the Hub download URL."""
    loaded = _load(request, type_plural, owner, name, content=True)
    if isinstance(loaded, HttpResponse):
        return loaded
    repo, _rev, sha = loaded
    path = request.GET.get("FilePath", "").strip("/")
    if not path:
        return _envelope(None, 400, "FilePath is required")
    prefix = URL_PREFIX.get(repo.type, "")
    return HttpResponseRedirect(
        f"{CONFIG.public_url}/{prefix}{repo.full_name}/resolve/{sha}/{quote(path)}"
    )


# --- datasets (``MsDataset.load``) ---------------------------------------------------------

# ModelScope's dataset formation: 4 is a "general" dataset, loaded through ``datasets``.
GENERAL_DATASET = 4


def dataset_info(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """``GET /api/v1/datasets/{ns}/{name}``: the id and type ``MsDataset.load`` asks first."""
    ctx = load_repo(request, "datasets", owner, name)
    if isinstance(ctx, JsonResponse):
        return _envelope(None, ctx.status_code, "Dataset not found")
    repo = ctx.repo
    return _envelope(
        {
            "Id": repo.pk,
            "Type": GENERAL_DATASET,
            "Name": repo.name,
            "Namespace": repo.owner.name,
            "Description": repo.description,
            "License": repo.license,
            "Visibility": 1 if repo.private else 5,
            "Private": repo.private,
        }
    )


def dataset_tree_by_id(request: HttpRequest, dataset_id: str) -> HttpResponse:
    """``GET /api/v1/datasets/{id}/repo/tree``: the listing, addressed by the id above."""
    repo = (
        Repository.objects.select_related("owner")
        .filter(pk=int(dataset_id), type=Repository.Type.DATASET)
        .first()
    )
    if repo is None:
        return _envelope(None, 404, "Dataset not found")
    return repo_tree(request, "datasets", repo.owner.name, repo.name)
