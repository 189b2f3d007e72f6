"""Refs and history: ``/refs``, ``/commits/{rev}``, ``/branch/{name}``, ``/tag/{rev}``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.policy import Level
from nbopen.config.env import CONFIG
from nbopen.core import events
from nbopen.hubapi.errors import api_error
from nbopen.repos.git import commit as gitcommit
from nbopen.repos.git import read

from .common import iso, load_repo, resolve_rev, revision_not_found

COMMITS_PAGE = 100


def _ref_json(ref: read.Ref) -> dict[str, str]:
    return {"name": ref.name, "ref": ref.ref, "targetCommit": ref.target}


def _converts(git: Path) -> list[dict[str, str]]:
    """``refs/convert/parquet`` when the dataset converter published one (as on the Hub)."""
    sha = read.resolve(git, "refs/convert/parquet")
    return (
        []
        if sha is None
        else [{"name": "parquet", "ref": "refs/convert/parquet", "targetCommit": sha}]
    )


def refs(request: HttpRequest, type_plural: str, owner: str, name: str) -> HttpResponse:
    ctx = load_repo(request, type_plural, owner, name)
    if isinstance(ctx, JsonResponse):
        return ctx
    branches, tags = read.list_refs(ctx.repo.git_path)
    data: dict[str, Any] = {
        "branches": [_ref_json(r) for r in branches],
        "tags": [_ref_json(r) for r in tags],
        "converts": _converts(ctx.repo.git_path),
    }
    if request.GET.get("include_prs", "").lower() in {"1", "true"}:
        data["pullRequests"] = []
    return JsonResponse(data)


def commits(
    request: HttpRequest, type_plural: str, owner: str, name: str, rev: str
) -> HttpResponse:
    ctx = load_repo(request, type_plural, owner, name)
    if isinstance(ctx, JsonResponse):
        return ctx
    repo = ctx.repo
    sha = resolve_rev(repo, rev)
    if sha is None:
        return revision_not_found(rev)
    try:
        offset = max(0, int(request.GET.get("cursor") or 0))
        limit = max(1, min(int(request.GET.get("limit") or COMMITS_PAGE), COMMITS_PAGE))
    except ValueError:
        return api_error(400, "cursor and limit must be integers")
    page = read.log(repo.git_path, sha, skip=offset, limit=limit + 1)
    formatted = "formatted" in request.GET.getlist("expand[]") + request.GET.getlist("expand")
    items = []
    for c in page[:limit]:
        body = c.message.split("\n", 1)[1].strip() if "\n" in c.message else ""
        item: dict[str, Any] = {
            "id": c.sha,
            "title": c.title,
            "message": body,
            "date": iso(c.committed_at),
            "authors": [{"user": c.author_name}],
        }
        if formatted:
            item["formatted"] = {"title": c.title, "message": body}
        items.append(item)
    response = JsonResponse(items, safe=False)
    if len(page) > limit:
        params = [(k, v) for k in request.GET for v in request.GET.getlist(k) if k != "cursor"]
        params.append(("cursor", str(offset + limit)))
        response["Link"] = f'<{CONFIG.public_url}{request.path}?{urlencode(params)}>; rel="next"'
    return response


def _json(request: HttpRequest) -> dict[str, Any]:
    if not request.body:
        return {}
    data = json.loads(request.body)
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


def valid_ref_name(name: str) -> bool:
    if not name or name.startswith(("-", "refs/")) or len(name) > 200:
        return False
    proc = subprocess.run(
        ["git", "check-ref-format", f"refs/heads/{name}"], capture_output=True, check=False
    )
    return proc.returncode == 0


@csrf_exempt
def branch(
    request: HttpRequest, type_plural: str, owner: str, name: str, branch: str
) -> HttpResponse:
    ctx = load_repo(request, type_plural, owner, name, Level.WRITE)
    if isinstance(ctx, JsonResponse):
        return ctx
    repo, git_path = ctx.repo, ctx.repo.git_path
    ref = f"refs/heads/{branch}"
    current = gitcommit.branch_head(git_path, branch)
    if request.method == "DELETE":
        if current is None:
            return revision_not_found(branch)
        if branch == repo.default_branch:
            return api_error(403, "You cannot delete the default branch")
        try:
            gitcommit.delete_ref(git_path, ref, current)
        except gitcommit.RefConflict as exc:
            return api_error(409, str(exc))
        events.record(
            "repo.branch.delete",
            actor=ctx.principal.user,
            repository=repo,
            payload={"branch": branch},
        )
        return JsonResponse({})
    try:
        body = _json(request)
    except ValueError as exc:
        return api_error(400, f"Invalid JSON body: {exc}")
    if not valid_ref_name(branch):
        return api_error(400, f"Invalid branch name: {branch}")
    if current is not None:
        return api_error(409, f"Reference already exists: {ref}")
    start = body.get("startingPoint") or repo.default_branch
    if not isinstance(start, str):
        return api_error(400, "startingPoint must be a string")
    target = resolve_rev(repo, start)
    if target is None:
        return revision_not_found(start)
    try:
        gitcommit.update_ref(git_path, ref, target, None)
    except gitcommit.RefConflict:
        return api_error(409, f"Reference already exists: {ref}")
    events.record(
        "repo.branch.create",
        actor=ctx.principal.user,
        repository=repo,
        payload={"branch": branch, "target": target},
    )
    return JsonResponse({})


@csrf_exempt
def tag(request: HttpRequest, type_plural: str, owner: str, name: str, rev: str) -> HttpResponse:
    """POST names the *target revision* in the path (tag name in the body); DELETE the tag."""
    ctx = load_repo(request, type_plural, owner, name, Level.WRITE)
    if isinstance(ctx, JsonResponse):
        return ctx
    repo, git_path = ctx.repo, ctx.repo.git_path
    if request.method == "DELETE":
        ref = f"refs/tags/{rev}"
        proc = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", ref],
            cwd=git_path,
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0:
            return revision_not_found(rev)
        try:
            gitcommit.delete_ref(git_path, ref, proc.stdout.decode().strip())
        except gitcommit.RefConflict as exc:
            return api_error(409, str(exc))
        events.record(
            "repo.tag.delete", actor=ctx.principal.user, repository=repo, payload={"tag": rev}
        )
        return JsonResponse({})
    try:
        body = _json(request)
    except ValueError as exc:
        return api_error(400, f"Invalid JSON body: {exc}")
    tag_name, message = body.get("tag"), body.get("message")
    if not isinstance(tag_name, str) or not valid_ref_name(tag_name):
        return api_error(400, f"Invalid tag name: {tag_name!r}")
    target = resolve_rev(repo, rev)
    if target is None:
        return revision_not_found(rev)
    ref = f"refs/tags/{tag_name}"
    exists = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", ref],
        cwd=git_path,
        capture_output=True,
        check=False,
    )
    if exists.returncode == 0:
        return api_error(409, f"Tag already exists: {tag_name}")
    obj = target
    if isinstance(message, str) and message:
        user = ctx.principal.user
        assert user is not None
        author = gitcommit.Author(user.username, user.email or f"{user.username}@nbopen")
        obj = gitcommit.write_tag(git_path, target, tag_name, message, author)
    try:
        gitcommit.update_ref(git_path, ref, obj, None)
    except gitcommit.RefConflict:
        return api_error(409, f"Tag already exists: {tag_name}")
    events.record(
        "repo.tag.create",
        actor=ctx.principal.user,
        repository=repo,
        payload={"tag": tag_name, "target": target},
    )
    return JsonResponse({})
