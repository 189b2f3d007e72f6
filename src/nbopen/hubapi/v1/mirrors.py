"""``/api/v1/repos/{owner}/{name}/mirror``: a git pull mirror's status (GET), creation (PUT:
the repository is created as a mirror of ``url``), a sync now (POST) and conversion into a
normal repository (DELETE). The service decides; this only parses and answers."""

from __future__ import annotations

import dataclasses

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Decision, Level, decide_repo
from nbopen.core.errors import DomainError
from nbopen.core.limits import BadBody, loads_object
from nbopen.hubapi.denials import repo_denied
from nbopen.hubapi.errors import api_error, domain_error
from nbopen.mirrors import git_mirrors
from nbopen.repos import services
from nbopen.repos.models import Repository


@csrf_exempt
def repo_mirror(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    principal = principal_from_request(request)
    if request.method == "PUT":
        return _create(request, owner, name)
    repo = services.repo_find(owner, name, Repository.Type.CODE)
    decision = decide_repo(principal, repo, Level.READ)
    if decision is not Decision.ALLOW or repo is None:
        return repo_denied(decision)
    try:
        if request.method == "POST":
            git_mirrors.request_sync(actor=principal, repo=repo)
            return JsonResponse({"queued": True}, status=202)
        if request.method == "DELETE":
            git_mirrors.convert(actor=principal, repo=repo)
            return JsonResponse({})
    except DomainError as exc:
        return domain_error(exc)
    view = git_mirrors.mirror_of(repo)
    if view is None:
        return api_error(404, f"{repo.full_name} is not a pull mirror")
    return JsonResponse(dataclasses.asdict(view))


def _create(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    principal = principal_from_request(request)
    if not principal.is_authenticated:
        return api_error(401, "You must be authenticated to create a mirror")
    try:
        data = loads_object(request.body)
    except BadBody as exc:
        return api_error(400, str(exc))
    if not isinstance(data.get("url"), str):
        return api_error(400, "The body must be a JSON object with a url")
    interval = data.get("interval", 3600)
    if not isinstance(interval, int) or isinstance(interval, bool):
        return api_error(400, "interval must be an integer number of seconds")
    try:
        view = git_mirrors.git_mirror_add(
            owner=owner,
            name=name,
            url=data["url"],
            interval_seconds=interval,
            actor=principal,
            wait=False,
        )
    except DomainError as exc:
        return domain_error(exc)
    return JsonResponse(dataclasses.asdict(view), status=201)
