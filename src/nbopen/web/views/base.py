"""What every page view needs: who is asking, and the repository they may see (or a 404)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from nbopen.access.credentials import page_principal
from nbopen.access.policy import (
    Decision,
    Level,
    Principal,
    decide_content,
    decide_repo,
    repo_level,
)
from nbopen.config.env import CONFIG
from nbopen.mirrors.lookup import locate
from nbopen.repos import git_cache, moves
from nbopen.repos.git.read import Ref
from nbopen.repos.models import Repository
from nbopen.web.denials import GatedPage, LoginRequired, Moved, refuse
from nbopen.web.revs import split

__all__ = ["LoginRequired", "principal", "repo_access"]


def principal(request: HttpRequest) -> Principal:
    """The caller. A browser carries a session; a bad token header counts as anonymous here
    (pages never act on a token's behalf beyond reading)."""
    cached = getattr(request, "_nbopen_principal", None)
    if cached is not None:
        return cached
    who = page_principal(request)
    request._nbopen_principal = who  # type: ignore[attr-defined]
    return who


@dataclass
class RepoAccess:
    repo: Repository
    who: Principal
    level: Level
    _refs: tuple[list[Ref], list[Ref]] | None = None

    def refs(self) -> tuple[list[Ref], list[Ref]]:
        """(branches, tags), read once per request: several parts of a page need them."""
        if self._refs is None:
            self._refs = git_cache.list_refs(self.repo)
        return self._refs

    def split(self, rest: str) -> tuple[str, str, str] | None:
        """``{rev}/{path}`` → (rev, sha, path), resolving revisions the way GitHub does."""
        branches, tags = self.refs()
        return split(self.repo.git_path, rest, branches, tags)

    @property
    def can_write(self) -> bool:
        return self.level >= Level.WRITE

    @property
    def can_admin(self) -> bool:
        return self.level >= Level.ADMIN


def repo_access(
    request: HttpRequest, owner: str, name: str, need: Level = Level.READ, *, content: bool = False
) -> RepoAccess:
    """The repository if the caller has ``need`` on it; otherwise 404 (existence is not
    revealed), the 403 page for a signed-in reader who needs more, or a sign-in redirect when
    an anonymous visitor asks to change a public one (:mod:`nbopen.web.denials`)."""
    who = principal(request)
    if name.lower().endswith(".git"):
        name = name[:-4]
    # /datasets/{owner}/{name} is the dataset; /{owner}/{name} the model or code repository
    # of that name (else a dataset, for links from before datasets had their own space).
    dataset = request.path_info.startswith("/datasets/")
    repo_type = Repository.Type.DATASET if dataset else None
    found = locate(who, owner, name, repo_type, need, fetch_mirror=False)
    if found.moved_to is not None:  # the old name of a moved repository the visitor may read
        raise Moved(moves.relocated(request.get_full_path(), owner, name, found.moved_to))
    repo = found.repo
    decision = decide_repo(who, repo, need)
    # File contents: a gated repository's gate applies (the page explains how to ask).
    if content and decision is Decision.ALLOW and decide_content(who, repo).is_gated:
        assert repo is not None
        raise GatedPage(repo.pk)
    if decision is Decision.ALLOW and repo is not None:
        return RepoAccess(repo, who, repo_level(who, repo))
    visible = repo is not None and decide_repo(who, repo, Level.READ) is Decision.ALLOW
    refuse(decision, visible=visible)


def clone_url(repo: Repository) -> str:
    return f"{CONFIG.public_url}{repo.web_path}.git"


def page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, template, context, status=status)


def login_redirect(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth.views import redirect_to_login

    return redirect_to_login(request.get_full_path())


def safe_next(request: HttpRequest, fallback: str = "/") -> str:
    """The ``next`` target if it stays on this site, else ``fallback`` (no open redirects)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
