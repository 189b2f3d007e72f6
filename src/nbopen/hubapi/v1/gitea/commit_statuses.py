"""Commit statuses as in Gitea: ``POST/GET …/statuses/{sha}``, ``GET …/commits/{ref}/statuses``
and the combined ``GET …/commits/{ref}/status``. Posting needs write (a CI bot's token)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.policy import Level
from nbopen.collab import statuses
from nbopen.hubapi.v1.gitea import shapes
from nbopen.hubapi.v1.gitea.common import body, gitea_view, paginate, repo_for


@csrf_exempt
@gitea_view
def commit_statuses(request: HttpRequest, owner: str, name: str, sha: str) -> HttpResponse:
    """Post a status for a commit (POST, writers) or list its statuses (GET, newest first).

    `state` is pending, success, error, failure or warning; the latest per `context` counts."""
    need = Level.READ if request.method == "GET" else Level.WRITE
    principal, repo = repo_for(request, owner, name, need)
    if request.method == "GET":
        found = statuses.history(actor=principal, repo=repo, ref=sha)
        return paginate(request, found, shapes.status)
    data = body(request)
    status = statuses.post(
        actor=principal,
        repo=repo,
        sha=sha,
        state=data.get("state"),
        context=data.get("context", ""),
        target_url=data.get("target_url", ""),
        description=data.get("description", ""),
    )
    return JsonResponse(shapes.status(status), status=201)


@gitea_view
def ref_statuses(request: HttpRequest, owner: str, name: str, ref: str) -> HttpResponse:
    """The statuses of the commit a branch, tag or sha names, newest first."""
    principal, repo = repo_for(request, owner, name)
    return paginate(request, statuses.history(actor=principal, repo=repo, ref=ref), shapes.status)


@gitea_view
def combined_status(request: HttpRequest, owner: str, name: str, ref: str) -> HttpResponse:
    """The combined status of a ref: the latest per context and the worst of their states."""
    principal, repo = repo_for(request, owner, name)
    sha, latest = statuses.combined(actor=principal, repo=repo, ref=ref)
    return JsonResponse(shapes.combined(repo, sha, latest))
