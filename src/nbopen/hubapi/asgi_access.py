"""Credentials, repository and policy for the raw ASGI handlers, in one call.

git smart HTTP, Hub downloads (``/resolve/``) and Hub commits bypass Django. Each used to read
the Authorization header, catch bad credentials, find the repository, check its type, ask the
policy and word the refusal itself; :func:`repo_access` does all of it once, answering with the
channel's :class:`~nbopen.hubapi.denials.Denial` (which the handler sends in its own framing).
Runs database queries: call it in a worker thread (``sync_to_async``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nbopen.access.credentials import InvalidCredentials, principal_from_scope
from nbopen.access.policy import Decision, Level, Principal, decide_repo
from nbopen.hubapi.denials import Channel, Denial, denial, invalid_denial
from nbopen.hubapi.moved import redirect_scope
from nbopen.mirrors.lookup import locate
from nbopen.repos.models import Repository


@dataclass(frozen=True)
class Access:
    principal: Principal
    repo: Repository


def repo_access(
    scope: dict[str, Any],
    *,
    owner: str,
    name: str,
    want_type: str | None,
    need: Level,
    channel: Channel,
    content: bool = False,
) -> Access | Denial:
    """``owner/name`` if the caller has ``need`` on it; a repository of another type than
    ``want_type`` (when given) counts as missing, and ``want_type`` chooses between a model
    and a dataset of the same name (``repo_find``). Otherwise the channel's refusal."""
    try:
        principal = principal_from_scope(scope)
    except InvalidCredentials as exc:
        return invalid_denial(channel, exc)
    found = locate(principal, owner, name, want_type, need, exact_type=want_type is not None)
    if found.moved_to is not None:
        return redirect_scope(scope, found.moved_to, owner, name)
    repo = found.repo
    decision = decide_repo(principal, repo, need, content=content)
    if decision is not Decision.ALLOW or repo is None:
        return denial(channel, decision, repo)
    return Access(principal, repo)
