"""Repository housekeeping the Hub offers: duplicate, super-squash, list and delete LFS files.

``POST /api/{t}s/{repo}/duplicate`` (``duplicate_repo``), ``POST /api/{t}s/{repo}/super-squash/
{branch}`` (``super_squash_history``), ``GET /api/{t}s/{repo}/lfs-files`` (``list_lfs_files``,
paginated by ``Link``) and ``POST /api/{t}s/{repo}/lfs-files/batch``
(``permanently_delete_lfs_files``), in the shapes huggingface_hub 2.4.0 sends and reads. The
work is done by :mod:`nbopen.repos.duplicates` and the write service
(:mod:`nbopen.repos.writes.history`, :mod:`nbopen.repos.writes.lfs_files`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.policy import Level
from nbopen.config.env import CONFIG
from nbopen.core.errors import AlreadyExists, DomainError
from nbopen.core.limits import loads_object
from nbopen.hubapi.errors import api_error, domain_error
from nbopen.repos import duplicates
from nbopen.repos.git import commit as gitcommit
from nbopen.repos.services import repo_find
from nbopen.repos.writes import history, lfs_files
from nbopen.repos.writes.refs import RefNotFound

from .common import iso, load_repo, repo_web_url, revision_not_found

LFS_PAGE = 1000


def _json(request: HttpRequest) -> dict[str, Any]:
    return loads_object(request.body)


def _visibility(data: dict[str, Any]) -> bool | None:
    visibility, private = data.get("visibility"), data.get("private")
    if visibility is not None:
        if visibility not in {"public", "private"}:
            raise ValueError("visibility must be 'public' or 'private'")
        return bool(visibility == "private")
    if private is not None and not isinstance(private, bool):
        raise ValueError("private must be a boolean")
    return private


@csrf_exempt
def duplicate(request: HttpRequest, type_plural: str, owner: str, name: str) -> HttpResponse:
    """Body ``{"repository": "owner/name", "visibility"? | "private"?}`` → ``{"url",
    "filesCopyPending": false}``; 409 (with ``url``) when the target exists."""
    ctx = load_repo(request, type_plural, owner, name)
    if isinstance(ctx, JsonResponse):
        return ctx
    try:
        data = _json(request)
        private = _visibility(data)
    except ValueError as exc:
        return api_error(400, str(exc))
    target = data.get("repository")
    if not isinstance(target, str) or target.count("/") != 1 or "" in target.split("/"):
        return api_error(400, "repository must be 'owner/name'")
    to_owner, to_name = target.split("/")
    try:
        copy = duplicates.repo_duplicate(
            actor=ctx.principal, source=ctx.repo, owner=to_owner, name=to_name, private=private
        )
    except AlreadyExists as exc:
        existing = repo_find(to_owner, to_name, ctx.repo.type)
        return api_error(409, str(exc), url=repo_web_url(existing) if existing else "")
    except DomainError as exc:
        return domain_error(exc)
    return JsonResponse({"url": repo_web_url(copy), "filesCopyPending": False})


@csrf_exempt
def super_squash(
    request: HttpRequest, type_plural: str, owner: str, name: str, branch: str
) -> HttpResponse:
    """Body ``{"message"?}``: the branch becomes one root commit with its current tree."""
    ctx = load_repo(request, type_plural, owner, name, Level.WRITE)
    if isinstance(ctx, JsonResponse):
        return ctx
    try:
        data = _json(request)
    except ValueError as exc:
        return api_error(400, str(exc))
    message = data.get("message") or f"Super-squash branch '{branch}'"
    if not isinstance(message, str) or "\x00" in message:
        return api_error(400, "message must be a string")
    if gitcommit.ref_target(ctx.repo.git_path, f"refs/tags/{branch}") is not None and (
        gitcommit.branch_head(ctx.repo.git_path, branch) is None
    ):
        return api_error(400, f"Cannot squash a tag: {branch}")
    try:
        sha = history.super_squash(
            repo=ctx.repo, actor=ctx.principal.user, branch=branch, message=message
        )
    except RefNotFound:
        return revision_not_found(branch)
    except gitcommit.RefConflict as exc:
        return api_error(409, str(exc))
    except history.BranchProtected as exc:
        return api_error(403, str(exc), exc.code)
    return JsonResponse({"commit": sha})


def lfs_list(request: HttpRequest, type_plural: str, owner: str, name: str) -> HttpResponse:
    """The repository's LFS objects (admin), ``Link: rel="next"`` pagination by ``cursor``."""
    ctx = load_repo(request, type_plural, owner, name, Level.ADMIN)
    if isinstance(ctx, JsonResponse):
        return ctx
    try:
        offset = max(0, int(request.GET.get("cursor") or 0))
        limit = min(LFS_PAGE, max(1, int(request.GET.get("limit") or LFS_PAGE)))
    except ValueError:
        return api_error(400, "cursor and limit must be integers")
    files = lfs_files.list_lfs_files(ctx.repo)
    page = files[offset : offset + limit]
    response = JsonResponse(
        [
            {
                "fileOid": f.oid,
                "oid": f.oid,
                "size": f.size,
                "filename": f.filename,
                "ref": f.ref,
                "pushedAt": iso(f.pushed_at),
            }
            for f in page
        ],
        safe=False,
    )
    if offset + limit < len(files):
        query = urlencode({"cursor": offset + limit, "limit": limit})
        response["Link"] = f'<{CONFIG.public_url}{request.path}?{query}>; rel="next"'
    return response


@csrf_exempt
def lfs_delete(request: HttpRequest, type_plural: str, owner: str, name: str) -> HttpResponse:
    """Body ``{"deletions": {"sha": [oid, …], "rewriteHistory": bool}}`` (admin)."""
    ctx = load_repo(request, type_plural, owner, name, Level.ADMIN)
    if isinstance(ctx, JsonResponse):
        return ctx
    try:
        deletions = _json(request).get("deletions")
    except ValueError as exc:
        return api_error(400, str(exc))
    shas = deletions.get("sha") if isinstance(deletions, dict) else None
    if not isinstance(shas, list) or not all(isinstance(s, str) for s in shas):
        return api_error(400, "deletions.sha must be a list of LFS object ids")
    assert isinstance(deletions, dict)
    rewrite = deletions.get("rewriteHistory", True)
    if not isinstance(rewrite, bool):
        return api_error(400, "deletions.rewriteHistory must be a boolean")
    try:
        deleted = lfs_files.permanently_delete(
            repo=ctx.repo, actor=ctx.principal.user, oids=shas, rewrite_history=rewrite
        )
    except gitcommit.RefConflict as exc:
        # The objects are unlinked; a push moved a ref during the rewrite: asking again
        # rewrites what is there now.
        return api_error(409, f"A ref moved while history was rewritten, retry: {exc}")
    except lfs_files.BranchProtected as exc:  # nothing was deleted
        return api_error(403, str(exc), exc.code)
    return JsonResponse({"deleted": deleted})
