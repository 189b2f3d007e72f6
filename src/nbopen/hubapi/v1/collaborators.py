"""``/api/v1/repos/{owner}/{name}/collaborators[/{username}]``, shaped after GitHub's API.

``GET`` lists them (anyone who can read the repository), ``PUT …/{username}`` with
``{"permission": "read|write|admin"}`` adds or changes one, ``DELETE …/{username}`` removes
one; both need admin on the repository.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Decision, Level, decide_repo
from nbopen.accounts.services import user_get
from nbopen.core.errors import DomainError
from nbopen.core.limits import BadBody, loads_object
from nbopen.hubapi import moved
from nbopen.hubapi.errors import api_error, domain_error
from nbopen.repos import collaborators, services


@csrf_exempt
def repo_collaborators(
    request: HttpRequest, owner: str, name: str, username: str | None = None
) -> HttpResponse:
    """List a repository's collaborators (GET), add or change one (PUT), remove one (DELETE).

    ``?type=dataset`` names the dataset when a model of the same name exists."""
    principal = principal_from_request(request)
    repo = services.repo_find(owner, name, services.type_param(request.GET.get("type")))
    need = Level.READ if request.method == "GET" else Level.ADMIN
    decision = decide_repo(principal, repo, need)
    if decision is not Decision.ALLOW or repo is None:
        return moved.refusal(
            request,
            principal,
            repo is None,
            owner,
            name,
            services.type_param(request.GET.get("type")),
            decision,
        )
    try:
        if request.method == "GET" and username is None:
            return JsonResponse(
                {
                    "collaborators": [
                        {"user": c.user.username, "role": c.role}
                        for c in collaborators.collaborators_of(repo)
                    ]
                }
            )
        assert username is not None  # the route of a user takes PUT and DELETE only
        user = user_get(username)
        if request.method == "DELETE":
            collaborators.collaborator_remove(actor=principal, repo=repo, user=user)
            return JsonResponse({}, status=200)
        try:
            body = loads_object(request.body)
        except BadBody as exc:
            return api_error(400, str(exc))
        permission = body.get("permission", "write")
        if not isinstance(permission, str):
            return api_error(400, "permission must be read, write or admin")
        grant = collaborators.collaborator_set(
            actor=principal, repo=repo, user=user, role=permission
        )
        return JsonResponse({"user": user.username, "role": grant.role}, status=201)
    except DomainError as exc:
        return domain_error(exc)
