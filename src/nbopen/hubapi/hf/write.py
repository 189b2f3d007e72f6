"""The upload flow: ``/preupload/{rev}`` (the commit itself is in :mod:`.commit_asgi`)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.policy import Level
from nbopen.core.limits import loads as safe_json
from nbopen.hubapi.errors import api_error
from nbopen.repos.git import attributes, read
from nbopen.repos.writes import commits, lfs_rule

from . import committing, content
from .common import load_repo, resolve_rev, revision_not_found

MAX_PREUPLOAD_FILES = 1000


@csrf_exempt
def preupload(
    request: HttpRequest, type_plural: str, owner: str, name: str, rev: str
) -> HttpResponse:
    ctx = load_repo(request, type_plural, owner, name, Level.WRITE)
    if isinstance(ctx, JsonResponse):
        return ctx
    repo = ctx.repo
    try:
        body = safe_json(request.body or b"{}")
        files = body.get("files") if isinstance(body, dict) else None
        if not isinstance(files, list) or len(files) > MAX_PREUPLOAD_FILES:
            raise ValueError(f"'files' must be a list of at most {MAX_PREUPLOAD_FILES} entries")
        git_ignore = body.get("gitIgnore")
        if git_ignore is not None and not isinstance(git_ignore, str):
            raise ValueError("'gitIgnore' must be a string")
    except ValueError as exc:
        return api_error(400, f"Invalid preupload request: {exc}")
    sha = resolve_rev(repo, rev)
    if sha is None and not (rev == repo.default_branch and read.is_empty(repo.git_path)):
        return revision_not_found(rev)
    existing: dict[str, dict[str, Any]] = {}
    if sha is not None:
        entries, pointers = content.list_entries(repo, sha, recursive=True)
        for entry in entries:
            if entry.type == "blob":
                existing[entry.path] = content.tree_entry_json(entry, pointers.get(entry.oid))
    checked: list[tuple[str, int, bytes]] = []
    for item in files:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            return api_error(400, "each file needs a 'path'")
        try:
            path = commits.clean_path(item["path"])
        except commits.InvalidPath:
            return api_error(422, f"Invalid path in repository: {item['path']!r}")
        size = item.get("size")
        try:
            sample = base64.b64decode(item.get("sample") or "", validate=True)
        except (binascii.Error, TypeError):
            return api_error(400, f"invalid base64 sample for {path}")
        if not isinstance(size, int) or size < 0:
            return api_error(400, f"invalid size for {path}")
        checked.append((path, size, sample))
    paths = [path for path, _size, _sample in checked]
    # The revision's .gitattributes route paths through LFS, its .gitignore (or the one the
    # client is about to commit, ``gitIgnore``) makes the client skip them: git's matching.
    routed = lfs_rule.at(repo.git_path, sha).routed(paths)
    ignores = attributes.special_files(repo.git_path, sha, attributes.IGNORE)
    override = git_ignore.encode() if git_ignore is not None else None
    ignored = attributes.ignored(repo.git_path, ignores, paths, override)
    answers = []
    for path, size, sample in checked:
        mode = "lfs" if lfs_rule.decide(size, sample, routed=path in routed) else "regular"
        remote = existing.get(path)
        oid: str | None = None
        if remote is not None:
            lfs_info = remote.get("lfs")
            if mode == "lfs":
                oid = lfs_info["oid"] if lfs_info else None
            elif lfs_info:
                oid = committing.git_sha1_of_lfs(lfs_info["oid"])
            else:
                oid = remote["oid"]
        answers.append(
            {"path": path, "uploadMode": mode, "shouldIgnore": path in ignored, "oid": oid}
        )
    return JsonResponse({"files": answers, "commitOid": sha})
