"""``/api/v1/repos/{owner}/{repo}/branch_protections[/{name}]`` as in Gitea.

Anyone who can read the repository lists and reads the rules; creating, changing and
deleting them needs admin (:mod:`nbopen.collab.protection` decides and applies them).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.policy import Level
from nbopen.collab import protection
from nbopen.hubapi.v1.gitea import shapes
from nbopen.hubapi.v1.gitea.common import body, gitea_view, repo_for


@csrf_exempt
@gitea_view
def branch_protections(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """List a repository's branch protections (GET) or create one (POST, admins).

    Rules match branch names by glob (`release/*`); Gitea's field names."""
    need = Level.READ if request.method == "GET" else Level.ADMIN
    principal, repo = repo_for(request, owner, name, need)
    if request.method == "GET":
        rules = protection.list_rules(actor=principal, repo=repo)
        return JsonResponse([shapes.protection(r) for r in rules], safe=False)
    rule = protection.save_rule(actor=principal, repo=repo, data=body(request))
    return JsonResponse(shapes.protection(rule), status=201)


@csrf_exempt
@gitea_view
def branch_protection(request: HttpRequest, owner: str, name: str, rule: str) -> HttpResponse:
    """A branch protection (GET), change it (PATCH, admins) or delete it (DELETE, admins)."""
    need = Level.READ if request.method == "GET" else Level.ADMIN
    principal, repo = repo_for(request, owner, name, need)
    if request.method == "GET":
        return JsonResponse(
            shapes.protection(protection.get_rule(actor=principal, repo=repo, name=rule))
        )
    if request.method == "DELETE":
        protection.delete_rule(actor=principal, repo=repo, name=rule)
        return HttpResponse(status=204)
    saved = protection.save_rule(actor=principal, repo=repo, data=body(request), name=rule)
    return JsonResponse(shapes.protection(saved))
