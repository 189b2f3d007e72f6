"""Request plumbing shared by the Gitea-shaped views: errors, the repository, JSON bodies,
pagination."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Decision, Level, Principal, decide_repo
from nbopen.collab.protection import MergeBlocked
from nbopen.config.env import CONFIG
from nbopen.core.errors import AlreadyExists, DomainError, NotFound, PermissionDenied
from nbopen.core.limits import loads as safe_json
from nbopen.repos import services
from nbopen.repos.models import Repository

SWAGGER = "/api/openapi.json"


class Refusal(Exception):
    """Stop the view with ``response`` (a Gitea-shaped error)."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def error(status: int, message: str) -> JsonResponse:
    """Gitea's error body."""
    return JsonResponse(
        {"message": message, "url": CONFIG.public_url.rstrip("/") + SWAGGER}, status=status
    )


def domain(exc: DomainError) -> JsonResponse:
    if isinstance(exc, MergeBlocked):
        return error(405, str(exc))
    if isinstance(exc, AlreadyExists):
        return error(409, str(exc))
    if isinstance(exc, PermissionDenied):
        return error(403, str(exc))
    if isinstance(exc, NotFound):
        return error(404, str(exc))
    return error(422, str(exc))


def gitea_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Map :class:`Refusal` and domain errors to Gitea's error shape."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Refusal as stop:
            return stop.response
        except DomainError as exc:
            return domain(exc)

    return wrapper


def repo_for(
    request: HttpRequest, owner: str, name: str, need: Level = Level.READ
) -> tuple[Principal, Repository]:
    """The principal and ``owner/name`` if they may ``need`` it; else a Gitea error that,
    for a private repository the caller cannot read, is the 404 of a missing one."""
    principal = principal_from_request(request)
    if request.method not in {"GET", "HEAD"} and not principal.is_authenticated:
        raise Refusal(error(401, "token is required"))  # every write acts as someone
    repo = services.repo_find(owner, name)
    decision = decide_repo(principal, repo, need)
    if decision is Decision.ALLOW and repo is not None:
        return principal, repo
    if decision is Decision.UNAUTHENTICATED:
        raise Refusal(error(401, "token is required"))
    if decision is Decision.FORBIDDEN:
        raise Refusal(error(403, "user should have a permission to do this"))
    raise Refusal(error(404, "The target couldn't be found."))


def body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = safe_json(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise Refusal(error(400, "Request body is not valid JSON")) from None
    if not isinstance(data, dict):
        raise Refusal(error(422, "Request body must be a JSON object"))
    return data


def int_param(request: HttpRequest, key: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(key, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise Refusal(error(422, f"{key} must be a number")) from None
    return max(low, min(high, value))


def paginate(
    request: HttpRequest,
    items: Sequence[Any] | QuerySet[Any],
    shape: Callable[[Any], Any],
    total: int | None = None,
) -> JsonResponse:
    """One page of ``items`` (``page`` from 1, ``limit`` up to 50 as Gitea's default max)
    with ``X-Total-Count`` and a ``Link`` header of next/last/first/prev pages."""
    page = int_param(request, "page", 1, 1, 1_000_000)
    limit = int_param(request, "limit", 30, 1, 50)
    start = (page - 1) * limit
    if isinstance(items, QuerySet):  # one COUNT and one page from the database
        count = items.count() if total is None else total
        window: Sequence[Any] = list(items[start : start + limit])
    else:
        count = len(items) if total is None else total
        window = items[start : start + limit] if total is None else items
    response = JsonResponse([shape(item) for item in window], safe=False)
    response["X-Total-Count"] = str(count)
    last = max(1, -(-count // limit))
    links = []
    base = request.build_absolute_uri(request.path)

    def url(n: int) -> str:
        query = {**request.GET.dict(), "page": str(n), "limit": str(limit)}
        return f"{base}?{urlencode(query)}"

    if page < last:
        links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        links += [f'<{url(1)}>; rel="first"', f'<{url(page - 1)}>; rel="prev"']
    if links:
        response["Link"] = ", ".join(links)
    response["Access-Control-Expose-Headers"] = "X-Total-Count, Link"
    return response
