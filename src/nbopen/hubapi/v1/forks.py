"""``/api/v1/repos/{owner}/{name}/forks``: list public forks (GET) or fork (POST).

Shaped after GitHub's and Gitee's ``POST /repos/{owner}/{repo}/forks``: the body may name an
``organization`` to fork into and a new ``name``; the answer is ``201`` with the fork.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Decision, Level, decide_repo, public_repositories
from nbopen.core.errors import DomainError
from nbopen.core.limits import BadBody, loads_object
from nbopen.hubapi import moved
from nbopen.hubapi.api.repos import repo_url
from nbopen.hubapi.errors import api_error, domain_error
from nbopen.repos import forks, services
from nbopen.repos.models import Repository


def _describe(repo: Repository) -> dict[str, object]:
    return {
        "id": repo.full_name,
        "type": repo.type,
        "url": repo_url(repo),
        "private": repo.private,
        "forked_from": repo.forked_from.full_name if repo.forked_from else None,
        "created_at": repo.created_at.isoformat(),
    }


@csrf_exempt
def repo_forks(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """List the public forks of a repository (GET), or fork it (POST).

    POST takes ``{"organization"?, "name"?}`` and answers 201 with the fork. ``?type=dataset``
    names the dataset when a model of the same name exists."""
    principal = principal_from_request(request)
    source = services.repo_find(owner, name, services.type_param(request.GET.get("type")))
    decision = decide_repo(principal, source, Level.READ)
    if decision is not Decision.ALLOW or source is None:
        return moved.refusal(
            request,
            principal,
            source is None,
            owner,
            name,
            services.type_param(request.GET.get("type")),
            decision,
        )
    if request.method == "GET":
        listed = (
            public_repositories()
            .select_related("forked_from__owner")
            .filter(forked_from=source)
            .order_by("-created_at")[:100]
        )
        return JsonResponse(
            {"total": forks.fork_count(source), "forks": [_describe(r) for r in listed]}
        )
    if not principal.is_authenticated:
        return api_error(401, "You must be authenticated to fork a repository")
    try:
        data = loads_object(request.body)
    except BadBody as exc:
        return api_error(400, str(exc))
    target_owner, target_name = data.get("organization"), data.get("name")
    for value, label in ((target_owner, "organization"), (target_name, "name")):
        if value is not None and (not isinstance(value, str) or not value):
            return api_error(400, f"{label} must be a non-empty string")
    try:
        fork = forks.repo_fork(actor=principal, source=source, owner=target_owner, name=target_name)
    except DomainError as exc:
        return domain_error(exc)
    return JsonResponse(_describe(fork), status=201)
