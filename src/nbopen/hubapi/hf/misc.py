"""Small endpoints: ``validate-yaml``, ``agent-harnesses``, ``auth-check``, likes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Level, decide_repo, visible_repositories
from nbopen.collab.models import Like
from nbopen.collab.services import like_set
from nbopen.core.errors import NotFound, PermissionDenied
from nbopen.core.limits import loads as safe_json
from nbopen.hubapi.denials import repo_denied
from nbopen.hubapi.errors import api_error
from nbopen.orgs.models import Organization
from nbopen.repos import cards
from nbopen.repos import services as repo_services

from .common import iso, load_repo
from .info import repo_info

# The Hub's per-repository routes, after the id: what a namespace-less id (``gpt2``) is
# followed by when a client calls one (``/api/models/gpt2/revision/main``, ``…/tree/main``).
NAMESPACELESS_SUBROUTES = (
    "revision|tree|paths-info|refs|commits|commit|branch|tag|preupload|xet-read-token"
    "|xet-write-token|auth-check|like|settings|parquet|discussions|lfs-files|resolve"
    "|user-access-request"
)


@csrf_exempt
def namespaceless(
    request: HttpRequest, type_plural: str, name: str, rest: str | None = None
) -> HttpResponse:
    """A repository id without a namespace (``gpt2``): the Hub's ``RepoNotFound``.

    Every repository here has an owner. The answer is the one for a repository that does not
    exist (401 to anonymous callers, else 404; JSON with ``X-Error-Code: RepoNotFound``), so
    ``repo_exists``/``file_exists`` return False and transformers says "not found".
    """
    principal = principal_from_request(request)  # bad credentials: 401 from the route
    return repo_denied(decide_repo(principal, None, Level.READ))


# A write to ``/api/{t}s/{name}/{verb}`` of a namespace-less id has the shape of repository
# ``{name}/{verb}``'s info route; only the info route's reads mean that repository.
NAMESPACELESS_WRITES = {"like", "settings"}


@csrf_exempt
def repo_root(request: HttpRequest, type_plural: str, owner: str, name: str) -> HttpResponse:
    """``GET /api/{t}s/{owner}/{name}``: the repository's info. ``POST``/``DELETE``/``PUT`` of
    ``/api/{t}s/gpt2/like`` (or ``settings``), which only a namespace-less id can mean: the
    Hub's ``RepoNotFound``, so ``unlike("gpt2")`` raises ``RepositoryNotFoundError``."""
    if request.method in ("GET", "HEAD"):
        return repo_info(request, type_plural, owner, name)
    if name not in NAMESPACELESS_WRITES:
        return api_error(405, "Use GET or HEAD")
    return namespaceless(request, type_plural, owner, rest=name)


@csrf_exempt
def validate_yaml(request: HttpRequest) -> HttpResponse:
    """Always JSON: the client reads ``.json()`` before it looks at the status."""
    try:
        body = safe_json(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"errors": [{"message": "Request body is not JSON"}]}, status=400)
    if not isinstance(body, dict) or not isinstance(body.get("content", ""), str):
        return JsonResponse({"errors": [{"message": "'content' must be a string"}]}, status=400)
    repo_type = body.get("repoType") or "model"
    card = cards.validate_readme(body.get("content", ""), str(repo_type))
    status = 400 if card.errors else 200
    return JsonResponse(
        {
            "errors": [{"message": m} for m in card.errors],
            "warnings": [{"message": m} for m in card.warnings],
        },
        status=status,
    )


def agent_harnesses(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"standardEnvVars": [], "harnesses": {}})


def auth_check(
    request: HttpRequest, type_plural: str, owner: str, name: str, write: str = ""
) -> HttpResponse:
    need = Level.WRITE if write else Level.READ
    ctx = load_repo(request, type_plural, owner, name, need, content=True)  # the Hub: GatedRepo
    if isinstance(ctx, JsonResponse):
        return ctx
    return JsonResponse({"ok": True})


@csrf_exempt
def like(request: HttpRequest, type_plural: str, owner: str, name: str) -> HttpResponse:
    principal = principal_from_request(request)  # bad credentials: 401 from the route
    if principal.user is None or principal.scope == "read":
        return api_error(401, "You must be authenticated with a write token to like")
    ctx = load_repo(request, type_plural, owner, name)
    if isinstance(ctx, JsonResponse):
        return ctx
    try:
        like_set(actor=principal, repo=ctx.repo, liked=request.method == "POST")
    except PermissionDenied as exc:
        return api_error(403, str(exc))
    except NotFound as exc:
        return api_error(404, str(exc), "RepoNotFound")
    return JsonResponse({})


def user_likes(request: HttpRequest, username: str) -> HttpResponse:
    """``GET /api/users/{user}/likes``: the repositories they like that the caller may see."""
    principal = principal_from_request(request)  # bad credentials: 401 from the route
    visible = visible_repositories(principal)
    liked = (
        Like.objects.filter(user__username__iexact=username, repository__in=visible)
        .select_related("repository__owner")
        .order_by("-created_at")[:1000]
    )
    return JsonResponse(
        [
            {
                "createdAt": iso(like.created_at),
                "repo": {"name": like.repository.full_name, "type": like.repository.type},
            }
            for like in liked
        ],
        safe=False,
    )


def settings_repositories(request: HttpRequest, org: str | None = None) -> HttpResponse:
    """``hf repos ls`` (``list_user_repos``): the caller's repositories, or an organization's
    for its members, with the storage each uses.

    ``[{"id", "type", "updatedAt", "visibility", "storage", "storagePercent"}]``; 401 without
    a token, 404 for an organization the caller is not a member of.
    """
    principal = principal_from_request(request)
    if not principal.is_authenticated or principal.user is None:
        return api_error(401, "You must be authenticated to list your repositories")
    owner_filter: dict[str, object]
    if org is None:
        owner_filter = {"owner__user": principal.user}
    else:
        organization = Organization.objects.filter(name__iexact=org).first()
        if organization is None or organization.pk not in principal.org_roles():
            return api_error(404, f"Organization {org!r} not found")
        owner_filter = {"owner__organization": organization}
    repos = list(
        visible_repositories(principal)
        .filter(**owner_filter)
        .select_related("owner")
        .order_by("-updated_at")[:1000]
    )
    used = repo_services.storage_used(repos)
    total = sum(used.values()) or 1
    return JsonResponse(
        [
            {
                "id": repo.full_name,
                "type": repo.type,
                "updatedAt": iso(repo.pushed_at or repo.updated_at),
                "visibility": "private" if repo.private else "public",
                "storage": used.get(repo.pk, 0),
                "storagePercent": round(100 * used.get(repo.pk, 0) / total, 2),
            }
            for repo in repos
        ],
        safe=False,
    )
