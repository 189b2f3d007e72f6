"""Where a repository name leads: the repository itself, the new name of a moved one, or a mirror.

Every channel (web pages, the Hub API, the raw ASGI git/LFS/resolve handlers, the LFS batch
API) turns ``owner/name`` into a repository in the same three steps, and they must agree or a
name works on one channel and 404s on another:

1. the local repository of that name (in the URL space of the requested type);
2. when there is none, the repository it was renamed or transferred to, if the caller may read
   it there (the channel answers with its own kind of redirect; :mod:`nbopen.repos.moves`);
3. when there is still none and the caller only reads, the pull-through mirror answering the
   original id (:mod:`nbopen.mirrors.pull`) — made now from an upstream on the machine
   channels, only looked up on web pages (a page view never triggers an upstream fetch).

This lives in the mirrors app because it is the one domain app that knows both local
repositories and mirrors; the permission decision itself stays with each channel, which
turns a refusal into its own response shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbopen.access.policy import Level, Principal
from nbopen.mirrors import pull
from nbopen.repos import moves
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_find


@dataclass(frozen=True)
class Located:
    """``repo``: what the name answers now (None: nothing the caller may be told of, the
    channel decides between 404 and 401). ``moved_to``: set instead when the name is the old
    name of a repository the caller may read."""

    repo: Repository | None
    moved_to: Repository | None = None


def locate(
    principal: Principal,
    owner: str,
    name: str,
    repo_type: str | None,
    need: Level,
    *,
    exact_type: bool = False,
    fetch_mirror: bool = True,
) -> Located:
    """The three steps above. ``exact_type``: a repository of another type in the same URL
    space (a code repository at a model's URL) counts as missing, as on the Hub API.
    ``fetch_mirror``: may ask an upstream for a repository not mirrored yet."""
    repo = repo_find(owner, name, repo_type)
    if repo is not None and exact_type and repo_type is not None and repo.type != repo_type:
        repo = None
    if repo is not None:
        return Located(repo)
    went = moves.visible_move(principal, owner, name, repo_type)
    if went is not None:
        return Located(None, moved_to=went)
    if need != Level.READ:
        return Located(None)
    mirror_type = repo_type or Repository.Type.MODEL
    if fetch_mirror:
        return Located(pull.find(principal, owner, name, mirror_type))
    return Located(pull.alias(owner, name, mirror_type))
