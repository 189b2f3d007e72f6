"""Our own JSON API for follows, watches and activity feeds (under ``/api/v1/``).

* ``GET|PUT|POST|DELETE follow/{owner}`` — state / follow / unfollow a user or organization
* ``GET owners/{owner}/followers``, ``GET users/{user}/following``
* ``GET|PUT|POST|DELETE watch/{owner}/{repo}`` — state / watch / unwatch a repository
* ``GET repos/{owner}/{repo}/watchers``
* ``GET owners/{owner}/events`` — a user's or organization's activity; ``GET feed`` — the
  caller's dashboard (what they follow, watch, and their organizations)

Lists take ``page`` and ``per_page``. Writes need a signed-in caller with a writing credential;
a browser session must also pass Django's CSRF check (a token header is not ambient authority,
so token clients need none). What a caller sees of a repository is decided by the policy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Decision, Level, Principal, decide_repo
from nbopen.accounts.models import Namespace
from nbopen.collab import feeds, follows, watches
from nbopen.core.errors import InvalidInput, NotFound, PermissionDenied
from nbopen.hubapi import moved
from nbopen.hubapi.errors import api_error
from nbopen.repos.services import namespace_get, repo_find, type_param

MAX_PER_PAGE = 100
WRITE_METHODS = {"PUT", "POST", "DELETE"}


def _json(data: dict[str, Any], status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    response["Vary"] = "Authorization, Cookie"
    return response


MAX_PAGE = 1_000_000  # the SQL offset must fit in 64 bits


def _paging(request: HttpRequest) -> tuple[int, int]:
    try:
        page = int(request.GET.get("page") or 1)
        per_page = int(request.GET.get("per_page") or 20)
    except ValueError:
        raise InvalidInput("page and per_page must be integers") from None
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(
            f"page must be between 1 and {MAX_PAGE} and per_page between 1 and {MAX_PER_PAGE}"
        )
    return page, per_page


def _owner(name: str) -> Namespace:
    ns = namespace_get(name)
    if ns.user is not None and not ns.user.is_active:
        raise NotFound(f"No user or organization named {name!r}")
    return ns


def _csrf_checked_view(request: HttpRequest) -> HttpResponse:
    """Stands in for the real view while the CSRF middleware checks a session write."""
    return HttpResponse()


_csrf = CsrfViewMiddleware(_csrf_checked_view)


def api_view(view: Callable[..., HttpResponse]) -> Callable[..., Any]:
    """Pass the caller, check CSRF (sessions only), map domain errors to JSON. Methods and
    bad credentials are answered by the route declaration (social_urls)."""

    @csrf_exempt
    def handler(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        principal = principal_from_request(request)
        if request.method in WRITE_METHODS and principal.is_authenticated and not principal.token:
            rejected = _csrf.process_view(request, _csrf_checked_view, (), {})
            if rejected is not None:
                return api_error(403, "CSRF check failed; send the csrftoken header")
        try:
            return view(request, principal, **kwargs)
        except InvalidInput as exc:
            return api_error(400, str(exc), "BadRequest")
        except PermissionDenied as exc:
            return api_error(401 if not principal.is_authenticated else 403, str(exc))
        except NotFound as exc:
            return api_error(404, str(exc), "NotFound")

    handler.__doc__ = view.__doc__
    handler.__name__ = view.__name__
    return handler


def _owner_json(ns: Namespace) -> dict[str, Any]:
    return {"name": ns.name, "kind": "org" if ns.organization_id else "user"}


@api_view
def follow(request: HttpRequest, who: Principal, name: str) -> HttpResponse:
    """Follow state of the caller for ``name``; PUT/POST follow, DELETE unfollow."""
    ns = _owner(name)
    if request.method == "GET":
        following = follows.is_following(
            user_id=who.user.pk if who.is_authenticated and who.user else None, target=ns
        )
        count = follows.follower_count(ns)
    else:
        following = request.method != "DELETE"
        count = follows.follow_set(actor=who, target=ns, following=following)
    return _json({**_owner_json(ns), "following": following, "followers": count})


@api_view
def followers(request: HttpRequest, who: Principal, name: str) -> HttpResponse:
    """Users who follow ``name`` (a user or an organization)."""
    ns = _owner(name)
    page, per_page = _paging(request)
    qs = follows.followers(ns)
    start = (page - 1) * per_page
    return _json(
        {
            **_owner_json(ns),
            "total": qs.count(),
            "page": page,
            "results": [
                {"name": u.username, "display_name": u.display_name}
                for u in qs[start : start + per_page]
            ],
        }
    )


@api_view
def following(request: HttpRequest, who: Principal, name: str) -> HttpResponse:
    """Users and organizations that the user ``name`` follows."""
    ns = _owner(name)
    if ns.user_id is None:
        raise NotFound(f"No user named {name!r}")
    page, per_page = _paging(request)
    qs = follows.following(ns.user_id)
    start = (page - 1) * per_page
    return _json(
        {
            **_owner_json(ns),
            "total": qs.count(),
            "page": page,
            "results": [_owner_json(t) for t in qs[start : start + per_page]],
        }
    )


def _readable_repo(request: HttpRequest, who: Principal, owner: str, name: str) -> Any:
    repo = repo_find(owner, name, type_param(request.GET.get("type")))
    decision = decide_repo(who, repo, Level.READ)
    if decision is not Decision.ALLOW or repo is None:
        return moved.refusal(
            request, who, repo is None, owner, name, type_param(request.GET.get("type")), decision
        )
    return repo


@api_view
def watch(request: HttpRequest, who: Principal, owner: str, name: str) -> HttpResponse:
    """Watch state of the caller for a repository; PUT/POST watch, DELETE unwatch.

    ``?type=dataset`` names the dataset when a model of the same name exists."""
    repo = _readable_repo(request, who, owner, name)
    if isinstance(repo, HttpResponse):
        return repo
    if request.method == "GET":
        watching = watches.is_watching(user_id=who.user.pk if who.user else None, repo=repo)
        count = watches.watcher_count(repo)
    else:
        watching = request.method != "DELETE"
        count = watches.watch_set(actor=who, repo=repo, watching=watching)
    return _json({"repo": repo.full_name, "watching": watching, "watchers": count})


@api_view
def watchers(request: HttpRequest, who: Principal, owner: str, name: str) -> HttpResponse:
    """Users watching a repository the caller may read."""
    repo = _readable_repo(request, who, owner, name)
    if isinstance(repo, HttpResponse):
        return repo
    page, per_page = _paging(request)
    qs = watches.watchers(repo)
    start = (page - 1) * per_page
    return _json(
        {
            "repo": repo.full_name,
            "total": qs.count(),
            "page": page,
            "results": [{"name": u.username} for u in qs[start : start + per_page]],
        }
    )


def _feed_json(request: HttpRequest, events: Any, **head: Any) -> HttpResponse:
    page, per_page = _paging(request)
    rows = feeds.page_of(events, page=page, per_page=per_page)
    return _json({**head, "page": page, "results": [feeds.as_json(e) for e in rows]})


@api_view
def owner_events(request: HttpRequest, who: Principal, name: str) -> HttpResponse:
    """A user's or an organization's activity, as the caller may see it."""
    ns = _owner(name)
    if ns.organization_id is not None:
        events = feeds.org_feed(who, ns.organization_id)
    else:
        assert ns.user_id is not None
        events = feeds.user_feed(who, ns.user_id)
    return _feed_json(request, events, **_owner_json(ns))


@api_view
def dashboard(request: HttpRequest, who: Principal) -> HttpResponse:
    """The caller's dashboard feed: what they follow and watch, and their organizations."""
    if not who.is_authenticated:
        raise PermissionDenied("Sign in to see your feed")
    return _feed_json(request, feeds.dashboard_feed(who))
