"""What every Hub API view shares: finding the repository, deciding access, answering errors.

Each view calls :func:`load_repo` first; it applies the one permission policy and answers
the Hub's error shapes (``RepoNotFound`` 401/404, 403 for refused writes), so a private
repository looks identical from every endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from django.http import HttpRequest, JsonResponse

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Decision, Level, Principal, decide_repo
from nbopen.config.env import CONFIG
from nbopen.hubapi.denials import Channel, repo_denied, response
from nbopen.hubapi.errors import api_error
from nbopen.hubapi.moved import redirect_request
from nbopen.mirrors.lookup import locate
from nbopen.repos.git import read
from nbopen.repos.models import Repository

TYPE_FROM_PLURAL = {"models": Repository.Type.MODEL, "datasets": Repository.Type.DATASET}
URL_PREFIX: dict[str, str] = {"model": "", "dataset": "datasets/"}


@dataclass
class Ctx:
    principal: Principal
    repo: Repository


def iso(dt: datetime) -> str:
    """The only date format the Hub client parses: UTC with a ``Z`` suffix."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def repo_web_url(repo: Repository) -> str:
    return f"{CONFIG.public_url}/{URL_PREFIX.get(repo.type, '')}{repo.full_name}"


def load_repo(
    request: HttpRequest,
    type_plural: str,
    owner: str,
    name: str,
    need: Level = Level.READ,
    *,
    content: bool = False,
) -> Ctx | JsonResponse:
    """The repository and principal, or the error response the Hub would give. ``content``:
    the view serves file contents, so a gated repository's gate applies (``GatedRepo``)."""
    principal = principal_from_request(request)  # bad credentials: 401 from the route
    repo_type = TYPE_FROM_PLURAL.get(type_plural)
    repo = None
    if repo_type is not None:
        found = locate(principal, owner, name, repo_type, need, exact_type=True)
        if found.moved_to is not None:
            return response(Channel.HUB, redirect_request(request, found.moved_to, owner, name))  # type: ignore[return-value]
        repo = found.repo
    decision = decide_repo(principal, repo, need, content=content)
    if decision is not Decision.ALLOW or repo is None:
        return repo_denied(decision, repo)
    return Ctx(principal, repo)


def revision_not_found(rev: str) -> JsonResponse:
    return api_error(404, f"Invalid rev id: {rev}", "RevisionNotFound")


def entry_not_found(path: str, sha: str | None = None) -> JsonResponse:
    response = api_error(404, f"Entry not found: {path}", "EntryNotFound")
    if sha:
        response["X-Repo-Commit"] = sha
    return response


def resolve_rev(repo: Repository, rev: str) -> str | None:
    """The commit a whole-segment revision names (branch, tag, sha, ``refs/…``)."""
    return read.resolve(repo.git_path, rev)


def split_rev(repo: Repository, rest: str) -> tuple[str, str, str] | None:
    """Split ``{rev}/{path}`` where rev may contain ``/`` (Django decoded any %2F)."""
    return split_rev_path(repo.git_path, rest)


def split_rev_path(git_path: Path, rest: str) -> tuple[str, str, str] | None:
    """(rev, sha, path): the longest branch/tag prefix wins, else a commit sha.

    Same answer as :func:`read.split_rev_path` with one ``for-each-ref`` instead of a
    ``rev-parse`` per candidate prefix, because resolve HEADs are on every download's path.
    """
    parts = rest.strip("/").split("/")
    if len(parts) >= 3 and parts[:2] == ["refs", "pr"] and parts[2].isdigit():
        # A pull request's ``refs/pr/N`` (``revision="refs/pr/N"``, sent as ``refs%2Fpr%2FN``).
        sha = read.resolve(git_path, "/".join(parts[:3]))
        return None if sha is None else ("/".join(parts[:3]), sha, "/".join(parts[3:]))
    branches, tags = read.list_refs(git_path)
    names: dict[str, str] = {}
    for ref in tags:
        names.setdefault(ref.name, ref.target)
        names.setdefault(ref.ref, ref.target)
    for ref in branches:  # branches win over tags of the same name, as in git
        names[ref.name] = ref.target
        names[ref.ref] = ref.target
    for cut in range(len(parts), 0, -1):
        rev = "/".join(parts[:cut])
        if rev in names:
            return rev, names[rev], "/".join(parts[cut:])
    first = parts[0]
    if read.is_full_sha(first):
        sha = read.resolve(git_path, first)
        if sha is not None:
            return first, sha, "/".join(parts[1:])
    return read.split_rev_path(git_path, rest) if len(parts) <= 8 else None


def quote_rev(rev: str) -> str:
    return quote(rev, safe="")


def query_flag(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "").lower() in {"1", "true", "yes"}
