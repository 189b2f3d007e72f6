"""The Hub's access-request routes of gated repositories, as ``huggingface_hub`` calls them.

* ``GET  /api/{t}s/{repo}/user-access-request/{pending|accepted|rejected}`` —
  ``list_pending_access_requests`` and friends (write access on the repository);
* ``POST /api/{t}s/{repo}/user-access-request/handle`` ``{"user"|"requestId", "status",
  "rejectionReason"?}`` — ``accept_access_request``, ``reject_access_request``,
  ``cancel_access_request`` (status ``pending``);
* ``POST /api/{t}s/{repo}/user-access-request/grant`` ``{"user"}`` — ``grant_access``;
* ``POST /api/{t}s/{repo}/user-access-request/ask`` ``{"fields"?}`` — ours (the Hub asks
  through its web form): the caller requests access; ``gated="auto"`` accepts at once.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.policy import Level
from nbopen.core.errors import DomainError
from nbopen.core.limits import BadBody, loads_object
from nbopen.hubapi.errors import api_error, domain_error
from nbopen.repos import access_requests
from nbopen.repos.models import AccessRequest

from .common import iso, load_repo


def request_json(request: AccessRequest) -> dict[str, Any]:
    user = request.user
    return {
        "requestId": str(request.pk),
        "user": {
            "user": user.username,
            "fullname": getattr(user, "display_name", "") or user.username,
            "email": None if request.granted else (user.email or None),
        },
        "status": request.status,
        "timestamp": iso(request.created_at),
        "fields": request.fields or None,
        "rejectionReason": request.rejection_reason or None,
    }


def _body(request: HttpRequest) -> dict[str, Any] | JsonResponse:
    try:
        return loads_object(request.body)
    except BadBody as exc:
        return api_error(400, str(exc))


def requests(
    request: HttpRequest, type_plural: str, owner: str, name: str, status: str
) -> HttpResponse:
    ctx = load_repo(request, type_plural, owner, name, Level.WRITE)
    if isinstance(ctx, JsonResponse):
        return ctx
    try:
        found = access_requests.list_requests(actor=ctx.principal, repo=ctx.repo, status=status)
    except DomainError as exc:
        return domain_error(exc)
    return JsonResponse([request_json(r) for r in found], safe=False)


@csrf_exempt
def handle(request: HttpRequest, type_plural: str, owner: str, name: str) -> HttpResponse:
    ctx = load_repo(request, type_plural, owner, name, Level.WRITE)
    if isinstance(ctx, JsonResponse):
        return ctx
    data = _body(request)
    if isinstance(data, JsonResponse):
        return data
    user, request_id = data.get("user"), data.get("requestId")
    if (user is None) == (request_id is None):
        return api_error(400, "Give one of user or requestId")
    reason = data.get("rejectionReason")
    try:
        access_requests.handle_request(
            actor=ctx.principal,
            repo=ctx.repo,
            status=str(data.get("status", "")),
            username=str(user) if user is not None else None,
            request_id=str(request_id) if request_id is not None else None,
            rejection_reason=str(reason) if reason is not None else None,
        )
    except DomainError as exc:
        return domain_error(exc)
    return JsonResponse({})


@csrf_exempt
def grant(request: HttpRequest, type_plural: str, owner: str, name: str) -> HttpResponse:
    ctx = load_repo(request, type_plural, owner, name, Level.WRITE)
    if isinstance(ctx, JsonResponse):
        return ctx
    data = _body(request)
    if isinstance(data, JsonResponse):
        return data
    user = data.get("user")
    if not isinstance(user, str) or not user:
        return api_error(400, "user is required")
    try:
        access_requests.grant_access(actor=ctx.principal, repo=ctx.repo, username=user)
    except DomainError as exc:
        return domain_error(exc)
    return JsonResponse({})


@csrf_exempt
def ask(request: HttpRequest, type_plural: str, owner: str, name: str) -> HttpResponse:
    ctx = load_repo(request, type_plural, owner, name)
    if isinstance(ctx, JsonResponse):
        return ctx
    if not ctx.principal.is_authenticated:
        return api_error(401, "You must be authenticated to request access")
    data = _body(request)
    if isinstance(data, JsonResponse):
        return data
    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        return api_error(400, "fields must be an object")
    try:
        made = access_requests.request_access(actor=ctx.principal, repo=ctx.repo, fields=fields)
    except DomainError as exc:
        return domain_error(exc)
    return JsonResponse(request_json(made))
