"""Gitea's webhook API, so tools that register hooks on Gitea do the same here.

- ``GET|POST /api/v1/repos/{owner}/{repo}/hooks``, ``GET|PATCH|DELETE …/hooks/{id}``,
  ``POST …/hooks/{id}/tests`` (a test push delivery)
- the same under ``/api/v1/orgs/{org}/hooks``

Hooks are for administrators of the repository or organization; a private repository's hooks
are "not found" for everyone else. Bodies follow Gitea's ``CreateHookOption`` /
``EditHookOption``: ``{"type": "gitea", "config": {"url", "content_type", "secret"},
"events": [...], "branch_filter", "active"}``. The secret is never returned.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from nbopen.access.policy import Principal
from nbopen.core.errors import InvalidInput, NotFound, PermissionDenied
from nbopen.core.limits import loads_object
from nbopen.hubapi.v1.social import api_view
from nbopen.orgs.models import Organization
from nbopen.orgs.services import org_get
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_find
from nbopen.webhooks import services
from nbopen.webhooks.models import Webhook

HOOK_TYPES = {"gitea", "gogs", "forgejo", ""}


def describe(hook: Webhook) -> dict[str, Any]:
    return {
        "id": hook.pk,
        "type": "gitea",
        "config": {"url": hook.url, "content_type": hook.content_type},
        "events": list(hook.events or []),
        "authorization_header": "",
        "branch_filter": hook.branch_filter or "*",
        "active": hook.active,
        "created_at": hook.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": hook.updated_at.isoformat().replace("+00:00", "Z"),
    }


def _json(data: Any, status: int = 200) -> HttpResponse:
    response = JsonResponse(
        data, status=status, safe=False, json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _fields(request: HttpRequest) -> dict[str, Any]:
    body = loads_object(request.body)
    if str(body.get("type") or "").lower() not in HOOK_TYPES:
        raise InvalidInput("Only hooks of type gitea are supported")
    config = body.get("config") or {}
    if not isinstance(config, dict):
        raise InvalidInput("config must be an object")
    fields: dict[str, Any] = {
        k: body[k] for k in ("events", "branch_filter", "active") if k in body
    }
    for key in ("url", "content_type", "secret"):
        if key in config:
            fields[key] = config[key]
    if fields.get("events") is not None and not isinstance(fields["events"], list):
        raise InvalidInput("events must be a list")
    return fields


def _owner(repo_owner: str, name: str | None) -> dict[str, Repository | Organization]:
    if name is None:
        return {"org": org_get(repo_owner)}
    repo = repo_find(repo_owner, name)
    if repo is None:
        raise NotFound("Repository not found")
    return {"repo": repo}


def _signed_in(who: Principal) -> None:
    """Hooks always need an admin: an anonymous caller is asked to sign in (401), whatever
    the repository (so this reveals nothing about private ones)."""
    if not who.is_authenticated:
        raise PermissionDenied("Sign in to manage webhooks")


def _list(request: HttpRequest, who: Principal, where: dict[str, Any]) -> HttpResponse:
    _signed_in(who)
    if request.method == "POST":
        hook = services.hook_create(actor=who, fields=_fields(request), **where)
        return _json(describe(hook), 201)
    return _json([describe(h) for h in services.hooks_of(actor=who, **where)])


def _one(
    request: HttpRequest, who: Principal, where: dict[str, Any], hook_id: int, part: str
) -> HttpResponse:
    _signed_in(who)
    hook = services.hook_get(actor=who, hook_id=hook_id, **where)
    if part == "tests":
        if request.method != "POST":
            return _json({"error": "Method not allowed"}, 405)
        services.test_delivery(actor=who, hook=hook)
        return HttpResponse(status=204)
    if request.method == "DELETE":
        services.hook_delete(actor=who, hook=hook)
        return HttpResponse(status=204)
    if request.method == "PATCH":
        hook = services.hook_update(actor=who, hook=hook, fields=_fields(request))
    return _json(describe(hook))


@api_view
def repo_hooks(request: HttpRequest, who: Principal, owner: str, repo: str) -> HttpResponse:
    """A repository's webhooks (GET), or add one (POST; repository admins)."""
    return _list(request, who, _owner(owner, repo))


@api_view
def repo_hook(
    request: HttpRequest, who: Principal, owner: str, repo: str, id: int | str, part: str = ""
) -> HttpResponse:
    """One webhook of a repository: read, edit (PATCH), delete, or send a test push (POST
    ``…/tests``)."""
    return _one(request, who, _owner(owner, repo), int(id), part)


@api_view
def org_hooks(request: HttpRequest, who: Principal, org: str) -> HttpResponse:
    """An organization's webhooks (GET), or add one (POST; organization admins). They hear
    the events of every repository of the organization."""
    return _list(request, who, _owner(org, None))


@api_view
def org_hook(
    request: HttpRequest, who: Principal, org: str, id: int | str, part: str = ""
) -> HttpResponse:
    """One webhook of an organization: read, edit (PATCH), delete, or test (POST ``…/tests``)."""
    return _one(request, who, _owner(org, None), int(id), part)
