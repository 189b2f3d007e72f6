"""Follow, watch and like buttons: small POST forms (CSRF-protected) that redirect back.

Every decision is made by the collab services and the policy; these views only translate
form posts into service calls and errors into flash messages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from nbopen.collab import follows, watches
from nbopen.collab.services import like_set
from nbopen.core.errors import DomainError, NotFound
from nbopen.repos.services import namespace_get
from nbopen.web.messages import explain
from nbopen.web.views.base import principal, repo_access, safe_next


def _sign_in_first(back: str) -> HttpResponse:
    """Anonymous clicks go to the login page, then back to the page (not to this POST URL)."""
    return redirect_to_login(back)


def _turn_on(request: HttpRequest, on: str, off: str) -> bool:
    action = request.POST.get("action", on)
    if action not in {on, off}:
        raise Http404("unknown action")
    return action == on


@require_POST
def follow(request: HttpRequest, owner: str) -> HttpResponse:
    who = principal(request)
    if not who.is_authenticated:
        return _sign_in_first(f"/{owner}")
    try:
        ns = namespace_get(owner)
    except NotFound:
        raise Http404("no such owner") from None
    if ns.user is not None and not ns.user.is_active:
        raise Http404("no such owner")
    try:
        follows.follow_set(actor=who, target=ns, following=_turn_on(request, "follow", "unfollow"))
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(safe_next(request, f"/{ns.name}"))


@require_POST
def watch(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    access = repo_access(request, owner, name)
    if not access.who.is_authenticated:
        return _sign_in_first(f"{access.repo.web_path}")
    try:
        if request.POST.get("level"):
            watches.watch_level_set(actor=access.who, repo=access.repo, level=request.POST["level"])
        else:
            watches.watch_set(
                actor=access.who, repo=access.repo, watching=_turn_on(request, "watch", "unwatch")
            )
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(safe_next(request, f"{access.repo.web_path}"))


@require_POST
def like(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    access = repo_access(request, owner, name)
    if not access.who.is_authenticated:
        return _sign_in_first(f"{access.repo.web_path}")
    try:
        like_set(actor=access.who, repo=access.repo, liked=_turn_on(request, "like", "unlike"))
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(safe_next(request, f"{access.repo.web_path}"))
