"""``/tree/{rev}[/{path}]`` (paginated listing) and ``/paths-info/{rev}``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.config.env import CONFIG
from nbopen.hubapi.errors import api_error
from nbopen.repos.git import read
from nbopen.repos.git.read import TreeEntry
from nbopen.repos.models import Repository
from nbopen.scanning import services as scanning
from nbopen.xet import lfs_bridge

from . import content
from .common import (
    entry_not_found,
    iso,
    load_repo,
    query_flag,
    resolve_rev,
    revision_not_found,
    split_rev,
)

TREE_PAGE = 1000


def _last_commit(repo: Repository, sha: str, path: str) -> dict[str, Any] | None:
    commits = read.log(repo.git_path, sha, path=path, limit=1)
    if not commits:
        return None
    c = commits[0]
    return {"id": c.sha, "title": c.title, "date": iso(c.committed_at)}


def _entries_json(
    repo: Repository, sha: str, entries: list[TreeEntry], expand: bool
) -> list[dict[str, Any]]:
    pointers = content.pointers_for(
        repo.git_path, [(e.oid, e.size) for e in entries if e.type == "blob"]
    )
    xet_hashes = lfs_bridge.backing_hashes(repo.pk, [p.oid for p in pointers.values()])
    scans = {}
    if expand:  # results keyed by content: the LFS sha256, else the git blob id
        scans = scanning.results(
            pointers[e.oid].oid if e.oid in pointers else e.oid for e in entries
        )
    result = []
    for entry in entries:
        pointer = pointers.get(entry.oid)
        data = content.tree_entry_json(entry, pointer)
        if pointer is not None and pointer.oid in xet_hashes:
            # Stored as Xet: the client may download it by reconstruction (and skip the HEAD).
            data["xetHash"] = xet_hashes[pointer.oid]
        if expand:
            data["lastCommit"] = _last_commit(repo, sha, entry.path)
            if entry.type == "blob":
                key = pointer.oid if pointer is not None else entry.oid
                data["securityFileStatus"] = scanning.hub_status(scans.get(key))
        result.append(data)
    return result


def tree(request: HttpRequest, type_plural: str, owner: str, name: str, rest: str) -> HttpResponse:
    ctx = load_repo(request, type_plural, owner, name)
    if isinstance(ctx, JsonResponse):
        return ctx
    repo = ctx.repo
    split = split_rev(repo, rest)
    if split is None:
        return revision_not_found(rest.split("/", 1)[0])
    _rev, sha, path = split
    try:
        entries = [
            e
            for e in read.ls_tree(
                repo.git_path, sha, path, recursive=query_flag(request, "recursive")
            )
            if e.type != "commit"
        ]
    except FileNotFoundError:
        return entry_not_found(path, sha)
    try:
        offset = max(0, int(request.GET.get("cursor") or 0))
        limit = int(request.GET.get("limit") or TREE_PAGE)
    except ValueError:
        return api_error(400, "cursor and limit must be integers")
    page_size = max(1, min(limit, TREE_PAGE))
    page = entries[offset : offset + page_size]
    response = JsonResponse(
        _entries_json(repo, sha, page, query_flag(request, "expand")), safe=False
    )
    if offset + page_size < len(entries):
        params = [(k, v) for k in request.GET for v in request.GET.getlist(k) if k != "cursor"]
        params.append(("cursor", str(offset + page_size)))
        response["Link"] = f'<{CONFIG.public_url}{request.path}?{urlencode(params)}>; rel="next"'
    return response


@csrf_exempt
def paths_info(
    request: HttpRequest, type_plural: str, owner: str, name: str, rev: str
) -> HttpResponse:
    ctx = load_repo(request, type_plural, owner, name)
    if isinstance(ctx, JsonResponse):
        return ctx
    repo = ctx.repo
    sha = resolve_rev(repo, rev)
    if sha is None:
        return revision_not_found(rev)
    paths = request.POST.getlist("paths")
    expand = request.POST.get("expand", "").lower() == "true"
    found: list[TreeEntry] = []
    for path in paths[:1000]:
        path = path.strip("/")
        entry = read.entry_at(repo.git_path, sha, path) if path else None
        if entry is not None and entry.type in {"blob", "tree"}:
            found.append(entry)
    return JsonResponse(_entries_json(repo, sha, found, expand), safe=False)
