"""Repository management and identity, Hub-compatible where the two overlap.

``POST /api/repos/create``, ``DELETE /api/repos/delete``, ``PUT /api/{type}s/{repo}/settings``
and ``GET /api/whoami-v2`` speak exactly what ``huggingface_hub`` sends and expects.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Decision, Level, Principal, decide_repo
from nbopen.config.env import CONFIG
from nbopen.core.errors import AlreadyExists, DomainError
from nbopen.core.limits import loads_object
from nbopen.hubapi.denials import repo_denied
from nbopen.hubapi.errors import api_error, domain_error
from nbopen.hubapi.hf.upload_mode import is_hub_client
from nbopen.orgs.models import Membership
from nbopen.repos import access_requests, moves, services
from nbopen.repos.models import Repository

# Hub type names (singular in bodies, plural in paths) → ours.
TYPE_FROM_BODY = {"model": "model", "dataset": "dataset", "code": "code"}
TYPE_FROM_PATH = {"models": "model", "datasets": "dataset", "codes": "code"}
URL_PREFIX = {"model": "", "dataset": "datasets/", "code": ""}


def repo_url(repo: Repository) -> str:
    return f"{CONFIG.public_url}/{URL_PREFIX[repo.type]}{repo.full_name}"


def _body(request: HttpRequest) -> dict[str, Any]:
    return loads_object(request.body)


def _private_flag(data: dict[str, Any]) -> bool | None:
    """Newer clients send ``visibility``, clients ≤ 0.36 send ``private``; accept both."""
    visibility = data.get("visibility")
    if visibility is not None:
        if not isinstance(visibility, str) or visibility not in {"public", "private"}:
            raise ValueError("visibility must be 'public' or 'private'")
        return bool(visibility == "private")
    private = data.get("private")
    if private is None:
        return None
    if not isinstance(private, bool):
        raise ValueError("private must be a boolean")
    return private


def _body_type(data: dict[str, Any]) -> str | None:
    """Our type for the body's ``type`` (default model), None when it is not one we know."""
    value = data.get("type") or "model"
    return TYPE_FROM_BODY.get(value) if isinstance(value, str) else None


def _owner_and_name(data: dict[str, Any]) -> tuple[str | None, str]:
    """``organization`` + ``name``, or ``name`` as "owner/name" (what older clients send).

    An empty owner ("/name", ``"organization": ""``) is an error, not "the caller": a
    client that meant someone else must not silently create or delete under its own name.
    """
    name, owner = data.get("name"), data.get("organization")
    if not isinstance(name, str) or not name:
        raise ValueError("name is required")
    if owner is not None and (not isinstance(owner, str) or not owner):
        raise ValueError("organization must be a non-empty string")
    if owner is None and "/" in name:
        owner, name = name.split("/", 1)
        if not owner:
            raise ValueError("name must be 'name' or 'owner/name'")
    return owner, name


@csrf_exempt
def create(request: HttpRequest) -> HttpResponse:
    """Create a repository (``huggingface_hub.create_repo``).

    Body ``{"name", "organization"?, "type"?: model|dataset|code, "private"? | "visibility"?}``;
    409 with ``url`` if it exists."""
    principal = principal_from_request(request)
    if not principal.is_authenticated:
        return api_error(401, "You must be authenticated to create a repository")
    try:
        data = _body(request)
        private = _private_flag(data)
    except ValueError as exc:
        return api_error(400, str(exc))
    repo_type = _body_type(data)
    if repo_type is None:
        return api_error(400, f"Unsupported repository type {data.get('type')!r}")
    try:
        owner, name = _owner_and_name(data)
    except ValueError as exc:
        return api_error(400, str(exc))
    try:
        # Hub clients get what huggingface.co and the web form give: `main` at once, holding
        # the default .gitattributes (snapshot_download right after create_repo needs a sha).
        # Other API clients get an empty repository, as on GitHub/Gitee, so an existing
        # history can be pushed as it is (repos/writes/repositories.py).
        repo = services.repo_create(
            actor=principal,
            owner=owner,
            name=name,
            type=repo_type,
            private=bool(private),
            empty=not is_hub_client(request.headers.get("User-Agent", "")),
        )
    except AlreadyExists as exc:
        existing = services.repo_find(owner or principal.user.username, str(name), repo_type)  # type: ignore[union-attr]
        url = repo_url(existing) if existing else ""
        return api_error(409, f"You already created this {repo_type} repo: {exc}", url=url)
    except DomainError as exc:
        return domain_error(exc)
    return JsonResponse({"url": repo_url(repo), "name": repo.full_name, "id": str(repo.pk)})


def _find_visible(
    principal: Principal, owner: str, name: str, repo_type: str | None, need: Level
) -> Repository | JsonResponse:
    repo = services.repo_find(owner, name, repo_type)
    if repo is not None and repo_type is not None and repo.type != repo_type:
        repo = None
    decision = decide_repo(principal, repo, need)
    if decision is not Decision.ALLOW or repo is None:
        return repo_denied(decision)
    return repo


@csrf_exempt
def delete(request: HttpRequest) -> HttpResponse:
    """Delete a repository (admin on it). Body ``{"name", "organization"?, "type"?}``."""
    principal = principal_from_request(request)
    try:
        data = _body(request)
    except ValueError as exc:
        return api_error(400, str(exc))
    try:
        owner, name = _owner_and_name(data)
    except ValueError as exc:
        return api_error(400, str(exc))
    if owner is None and principal.user is not None:
        owner = principal.user.username
    if owner is None:
        return api_error(400, "name (and organization) are required")
    repo_type = _body_type(data)
    if repo_type is None:
        # Unknown type must not fall through to "any type" and delete something else.
        return api_error(400, f"Unsupported repository type {data.get('type')!r}")
    repo = _find_visible(principal, owner, name, repo_type, Level.ADMIN)
    if isinstance(repo, JsonResponse):
        return repo
    services.repo_delete(actor=principal, repo=repo)
    return JsonResponse({})


def _repo_id(value: object, field: str) -> tuple[str, str]:
    if not isinstance(value, str) or value.count("/") != 1 or "" in value.split("/"):
        raise ValueError(f"{field} must be 'owner/name'")
    owner, name = value.split("/")
    return owner, name


@csrf_exempt
def move(request: HttpRequest) -> HttpResponse:
    """Rename or transfer a repository (``huggingface_hub.move_repo``).

    Body ``{"fromRepo", "toRepo", "type"?}``; admin on the repository, and the right to
    create repositories under the new owner. The old name redirects to the new one
    (:mod:`nbopen.repos.moves`)."""
    principal = principal_from_request(request)
    if not principal.is_authenticated:
        return api_error(401, "You must be authenticated to move a repository")
    try:
        data = _body(request)
        from_owner, from_name = _repo_id(data.get("fromRepo"), "fromRepo")
        to_owner, to_name = _repo_id(data.get("toRepo"), "toRepo")
    except ValueError as exc:
        return api_error(400, str(exc))
    repo_type = _body_type(data)
    if repo_type is None:
        return api_error(400, f"Unsupported repository type {data.get('type')!r}")
    repo = _find_visible(principal, from_owner, from_name, repo_type, Level.ADMIN)
    if isinstance(repo, JsonResponse):
        return repo
    try:
        moves.repo_move(actor=principal, repo=repo, owner=to_owner, name=to_name)
    except AlreadyExists:
        # The Hub's wording (its own test suite matches on it).
        return api_error(
            409, f"A {repo_type} repository called {to_owner}/{to_name} already exists"
        )
    except DomainError as exc:
        return domain_error(exc)
    return JsonResponse({"url": repo_url(repo), "name": repo.full_name})


@csrf_exempt
def settings(request: HttpRequest, type_plural: str, owner: str, name: str) -> HttpResponse:
    repo_type = TYPE_FROM_PATH.get(type_plural)
    if repo_type is None:
        return api_error(404, "Unknown repository type", "RepoNotFound")
    principal = principal_from_request(request)
    try:
        data = _body(request)
        private = _private_flag(data)
    except ValueError as exc:
        return api_error(400, str(exc))
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        return api_error(400, "description must be a string")
    try:
        gated = access_requests.parse_gated(data.get("gated"))
    except ValueError as exc:
        return api_error(400, str(exc))
    repo = _find_visible(principal, owner, name, repo_type, Level.ADMIN)
    if isinstance(repo, JsonResponse):
        return repo
    try:
        services.repo_update_settings(
            actor=principal, repo=repo, private=private, description=description
        )
        if gated is not None:
            access_requests.set_gated(actor=principal, repo=repo, gated=gated)
    except DomainError as exc:
        return api_error(400, str(exc))
    return JsonResponse(
        {"private": repo.private, "visibility": "private" if repo.private else "public"}
    )


def whoami(request: HttpRequest) -> HttpResponse:
    principal = principal_from_request(request)
    if not principal.is_authenticated or principal.user is None:
        return api_error(401, "Invalid user token: you must be authenticated")
    user = principal.user
    memberships = Membership.objects.filter(user=user).select_related("organization")
    token_info: dict[str, Any] = {"type": "session"}
    token = principal.token
    if token is not None:
        token_info = {
            "type": "access_token",
            "accessToken": {
                "displayName": token.name,
                "role": token.scope,
                "createdAt": token.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            },
        }
    return JsonResponse(
        {
            "type": "user",
            "id": str(user.pk),
            "name": user.username,
            "fullname": user.display_name or user.username,
            "email": user.email,
            "emailVerified": False,
            "avatarUrl": "",
            "isPro": False,
            "isAdmin": user.is_superuser,
            "orgs": [
                {
                    "type": "org",
                    "id": str(m.organization_id),
                    "name": m.organization.name,
                    "fullname": m.organization.display_name or m.organization.name,
                    "roleInOrg": m.role,
                }
                for m in memberships
            ],
            "auth": token_info,
        }
    )
