"""Commit statuses: CI results posted per commit and context, as Gitea and GitHub keep them.

A status is attached to a commit of the repository (any ref may name it when reading); the
latest post per context counts, and the combined state is the worst of those (failure or
error, then pending, then warning, then success). Required status checks of a protected
branch read them (:func:`nbopen.collab.protection.merge_blockers`).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_noop

from nbopen.access.policy import Level, Principal, require_repo
from nbopen.collab.models import CommitStatus
from nbopen.collab.protection import latest_statuses
from nbopen.core import events
from nbopen.core.errors import InvalidInput, NotFound
from nbopen.repos.git import read
from nbopen.repos.models import Repository

# Worst first: the combined state is the first of these any latest status has.
SEVERITY = ("error", "failure", "pending", "warning", "success")


def resolve(repo: Repository, ref: str) -> str:
    """The commit ``ref`` names (a sha, branch or tag), or :class:`NotFound`."""
    sha = read.resolve(repo.git_path, ref) if ref and not ref.startswith("-") else None
    if sha is None:
        raise NotFound(gettext_noop("Commit %(ref)s not found"), ref=ref)
    return sha


@transaction.atomic
def post(
    *,
    actor: Principal,
    repo: Repository,
    sha: str,
    state: object,
    context: object = "",
    target_url: object = "",
    description: object = "",
) -> CommitStatus:
    """Record a status for commit ``sha`` (writers, e.g. a CI bot's token)."""
    require_repo(actor, repo, Level.WRITE)
    if state not in CommitStatus.State.values:
        raise InvalidInput(
            gettext_noop("state must be pending, success, error, failure or warning")
        )
    for value in (context, target_url, description):
        if not isinstance(value, str | None):
            raise InvalidInput(gettext_noop("context, target_url and description are text"))
    target = str(target_url or "")
    if target and not target.startswith(("http://", "https://")):
        raise InvalidInput(gettext_noop("target_url must be an http(s) address"))
    commit = resolve(repo, sha)
    status = CommitStatus.objects.create(
        repository=repo,
        sha=commit,
        state=str(state),
        context=(str(context or "") or "default")[:255],
        target_url=target[:2000],
        description=str(description or "")[:1000],
        creator=actor.user,
    )
    events.record(
        "repo.status",
        actor=actor.user,
        repository=repo,
        payload={
            "sha": commit,
            "state": status.state,
            "context": status.context,
            "target_url": status.target_url,
            "description": status.description,
        },
    )
    return status


def history(*, actor: Principal, repo: Repository, ref: str) -> list[CommitStatus]:
    """Every status posted for the commit ``ref`` names, newest first."""
    require_repo(actor, repo, Level.READ)
    sha = resolve(repo, ref)
    return list(CommitStatus.objects.select_related("creator").filter(repository=repo, sha=sha))


def combined_state(latest: list[CommitStatus]) -> str:
    """The worst of the latest states ("pending" when nothing was posted, as GitHub)."""
    states = {s.state for s in latest}
    for state in SEVERITY:
        if state in states:
            return state
    return "pending"


def combined(*, actor: Principal, repo: Repository, ref: str) -> tuple[str, list[CommitStatus]]:
    """(sha, the latest status per context) of the commit ``ref`` names."""
    require_repo(actor, repo, Level.READ)
    sha = resolve(repo, ref)
    return sha, sorted(latest_statuses(repo, sha).values(), key=lambda s: s.id)
