"""The old name of a moved repository on the machine channels: a 307 to the new name.

Each channel's "repository not found" branch asks :func:`moved_denial` first (Django views
with the request, the raw ASGI handlers with the scope), so a repository renamed or
transferred keeps answering at its old name for git, git-lfs, the Hub API, downloads and
``/api/v1``, and a caller who may not read it gets the same refusal as for an unknown name
(:mod:`nbopen.repos.moves`). The redirect is relative: every client involved resolves it
against the URL it asked, whatever host name it used.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse

from nbopen.access.policy import Decision, Principal
from nbopen.hubapi.denials import Channel, Denial, moved, repo_denied, response
from nbopen.repos import moves
from nbopen.repos.models import Repository

_SAFE = "/:@!$&'()*+,;=-._~"


def moved_denial(
    principal: Principal, owner: str, name: str, repo_type: str | None, *, path: str, query: str
) -> Denial | None:
    """A 307 to the same ``path`` (and ``query``) under the repository's new name, when
    ``owner/name`` is the old name of a repository ``principal`` may read; else None."""
    repo = moves.visible_move(principal, owner, name, repo_type)
    if repo is None:
        return None
    return redirect(repo, owner, name, path=path, query=query)


def redirect(target: Repository, owner: str, name: str, *, path: str, query: str) -> Denial:
    """The 307 to ``path`` under ``target``'s name (the caller checked it may read it)."""
    location = moves.relocated(path, owner, name, target)
    return moved(f"{location}?{query}" if query else location)


def _request_path(request: HttpRequest) -> tuple[str, str]:
    return quote(request.path, safe=_SAFE), request.META.get("QUERY_STRING", "")


def _scope_path(scope: dict[str, Any]) -> tuple[str, str]:
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else quote(scope["path"], safe=_SAFE)
    return path, scope.get("query_string", b"").decode("latin-1")


def from_request(
    request: HttpRequest, principal: Principal, owner: str, name: str, repo_type: str | None
) -> Denial | None:
    path, query = _request_path(request)
    return moved_denial(principal, owner, name, repo_type, path=path, query=query)


def redirect_request(request: HttpRequest, target: Repository, owner: str, name: str) -> Denial:
    path, query = _request_path(request)
    return redirect(target, owner, name, path=path, query=query)


def redirect_scope(scope: dict[str, Any], target: Repository, owner: str, name: str) -> Denial:
    path, query = _scope_path(scope)
    return redirect(target, owner, name, path=path, query=query)


def refusal(
    request: HttpRequest,
    principal: Principal,
    missing: bool,
    owner: str,
    name: str,
    repo_type: str | None,
    decision: Decision,
) -> HttpResponse:
    """A JSON API view's answer when it found no repository it may use: the 307 of a moved
    repository (``missing``: nothing has that name now), else the policy's refusal."""
    if missing:
        went = from_request(request, principal, owner, name, repo_type)
        if went is not None:
            return response(Channel.API, went)
    return repo_denied(decision)
