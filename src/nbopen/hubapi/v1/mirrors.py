"""``/api/v1/repos/{owner}/{name}/mirror``: a git pull mirror's status (GET), creation (PUT:
the repository is created as a mirror of ``url``), a sync now (POST) and conversion into a
normal repository (DELETE). The service decides; this only parses and answers.
``/api/v1/admin/mirrors/traffic``: what the pull-through cache saved (operators)."""

from __future__ import annotations

import dataclasses

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Decision, Level, decide_repo, is_operator
from nbopen.core.errors import DomainError
from nbopen.core.limits import BadBody, loads_object
from nbopen.hubapi.denials import repo_denied
from nbopen.hubapi.errors import api_error, domain_error
from nbopen.mirrors import git_mirrors
from nbopen.mirrors import traffic as mirror_traffic
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


def traffic(request: HttpRequest) -> HttpResponse:
    principal = principal_from_request(request)
    if not principal.is_authenticated:
        return api_error(401, "You must be authenticated to read mirror traffic")
    if not is_operator(principal):
        return api_error(403, "Only operators read mirror traffic")
    try:
        days = int(request.GET.get("days") or 30)
    except ValueError:
        days = 0
    if not 1 <= days <= 366:
        return api_error(400, "days must be an integer between 1 and 366", "BadRequest")
    rows = [_row(r) for r in mirror_traffic.summary(days)]
    return JsonResponse({"days": days, "upstreams": rows[:-1], "total": rows[-1]})


def _row(row: mirror_traffic.TrafficRow) -> dict[str, object]:
    return {**dataclasses.asdict(row), "saved_share": row.saved_share}
