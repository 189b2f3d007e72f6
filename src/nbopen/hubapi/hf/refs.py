"""Refs and history: ``/refs``, ``/commits/{rev}``, ``/branch/{name}``, ``/tag/{rev}``."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.policy import Level
from nbopen.config.env import CONFIG
from nbopen.core.limits import loads as safe_json
from nbopen.hubapi.errors import api_error
from nbopen.repos.git import read
from nbopen.repos.writes import refs as writes

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
        data["pullRequests"] = [_ref_json(r) for r in read.refs_under(ctx.repo.git_path, "refs/pr")]
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
    data = safe_json(request.body)
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


@csrf_exempt
def branch(
    request: HttpRequest, type_plural: str, owner: str, name: str, branch: str
) -> HttpResponse:
    ctx = load_repo(request, type_plural, owner, name, Level.WRITE)
    if isinstance(ctx, JsonResponse):
        return ctx
    repo, user = ctx.repo, ctx.principal.user
    ref = f"refs/heads/{branch}"
    current = writes.branch_head(repo, branch)
    if request.method == "DELETE":
        if current is None:
            return revision_not_found(branch)
        if branch == repo.default_branch:
            # The Hub's words: huggingface_hub's tests match "Cannot delete refs/heads/main".
            return api_error(403, f"Cannot delete {ref}: it is the default branch")
        try:
            writes.delete_branch(repo=repo, actor=user, branch=branch)
        except writes.RefNotFound:
            return revision_not_found(branch)
        except writes.BranchProtected as exc:
            return api_error(403, str(exc), exc.code)
        except writes.RefConflict as exc:
            return api_error(409, str(exc))
        return JsonResponse({})
    try:
        body = _json(request)
    except ValueError as exc:
        return api_error(400, f"Invalid JSON body: {exc}")
    problem = writes.ref_name_problem(branch)
    if problem is not None:
        return api_error(400, f"Invalid branch name: {problem}")
    if current is not None:
        return api_error(409, f"Reference {ref} already exists")
    start = body.get("startingPoint") or repo.default_branch
    if not isinstance(start, str):
        return api_error(400, "startingPoint must be a string")
    target = resolve_rev(repo, start)
    if target is None:
        return revision_not_found(start)
    try:
        writes.create_branch(repo=repo, actor=user, branch=branch, target=target)
    except writes.RefConflict:
        return api_error(409, f"Reference {ref} already exists")
    except writes.BranchProtected as exc:
        return api_error(403, str(exc), exc.code)
    return JsonResponse({})


@csrf_exempt
def tag(request: HttpRequest, type_plural: str, owner: str, name: str, rev: str) -> HttpResponse:
    """POST names the *target revision* in the path (tag name in the body); DELETE the tag."""
    ctx = load_repo(request, type_plural, owner, name, Level.WRITE)
    if isinstance(ctx, JsonResponse):
        return ctx
    repo, user = ctx.repo, ctx.principal.user
    if request.method == "DELETE":
        try:
            writes.delete_tag(repo=repo, actor=user, tag=rev)
        except writes.RefNotFound:
            return revision_not_found(rev)
        except writes.RefConflict as exc:
            return api_error(409, str(exc))
        return JsonResponse({})
    try:
        body = _json(request)
    except ValueError as exc:
        return api_error(400, f"Invalid JSON body: {exc}")
    tag_name, message = body.get("tag"), body.get("message")
    # The revision first, as the Hub: a missing revision is RevisionNotFound whatever the tag.
    target = resolve_rev(repo, rev)
    if target is None:
        return revision_not_found(rev)
    problem = writes.ref_name_problem(tag_name)
    if problem is not None or not isinstance(tag_name, str):
        return api_error(400, f"Invalid tag name: {problem}")
    if writes.tag_exists(repo, tag_name):
        return api_error(409, f"Tag already exists: {tag_name}")
    try:
        writes.create_tag(
            repo=repo,
            actor=user,
            tag=tag_name,
            target=target,
            message=message if isinstance(message, str) else "",
        )
    except writes.RefConflict:
        return api_error(409, f"Tag already exists: {tag_name}")
    return JsonResponse({})
