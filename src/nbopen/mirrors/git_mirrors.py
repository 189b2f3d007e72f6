"""Git pull mirrors: a code repository that follows a remote git repository.

Created by an operator (``nbopen mirror git add OWNER/NAME URL``), synced with the real git
(``fetch --prune``, every branch and tag, through the write service so a sync is announced
like a push), at most every ``interval`` seconds: ``nbopen mirror git sync --due`` (cron or a
systemd timer) defers each due sync through :mod:`nbopen.core.tasks`, so with
``NBOPEN_TASKS=celery`` the workers do them. While mirrored, pushes are refused by the
pre-receive hook with a message naming the source. A failed sync keeps the last good copy
and records the error, shown by ``list`` and on the repository page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.utils import timezone

from nbopen.access.policy import Level, Principal, require_repo
from nbopen.core import tasks
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound
from nbopen.mirrors import net
from nbopen.mirrors.models import GitMirror
from nbopen.repos.git.bare import GitError
from nbopen.repos.models import Repository
from nbopen.repos.services import namespace_get, repo_create, repo_create_in, repo_find
from nbopen.repos.writes import refs

log = logging.getLogger(__name__)
FETCH_TIMEOUT = 3600.0


@dataclass(frozen=True)
class GitMirrorView:
    repository: str
    url: str
    interval_seconds: int
    last_sync: str | None
    last_error: str


def _view(mirror: GitMirror) -> GitMirrorView:
    return GitMirrorView(
        repository=mirror.repository.full_name,
        url=mirror.url,
        interval_seconds=mirror.interval_seconds,
        last_sync=mirror.last_sync.isoformat() if mirror.last_sync else None,
        last_error=mirror.last_error,
    )


def check_url(url: str) -> None:
    """http(s) only, no credentials in the URL, and a host whose addresses the operator
    allows (the same rule as upstream hubs: :func:`nbopen.mirrors.net.checked_address`)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput(f"{url!r}: a pull mirror needs an http(s) URL")
    if parts.username or parts.password:
        raise InvalidInput("credentials in a mirror URL would be shown to readers; not allowed")
    net.checked_address(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


def git_mirror_add(
    *,
    owner: str,
    name: str,
    url: str,
    interval_seconds: int = 3600,
    actor: Principal | None = None,
    wait: bool = True,
) -> GitMirrorView:
    """Create ``owner/name`` as a code repository mirroring ``url`` and sync it.

    ``actor``: the user asking (API), who must be allowed to create under ``owner``; None is
    the operator (CLI). ``wait``: sync before answering (CLI), else defer the first sync.
    """
    check_url(url)
    if interval_seconds < 60 and interval_seconds != 0:
        raise InvalidInput("the interval is at least 60 seconds (0: sync on request only)")
    if actor is not None:
        repo = repo_create(actor=actor, owner=owner, name=name, type=Repository.Type.CODE)
    else:
        if repo_find(owner, name, Repository.Type.CODE) is not None:
            raise AlreadyExists(f"{owner}/{name} exists")
        repo = repo_create_in(
            namespace=namespace_get(owner),
            name=name,
            type=Repository.Type.CODE,
            created_by=None,
            description=f"Mirror of {url}",
        )
    mirror = GitMirror.objects.create(repository=repo, url=url, interval_seconds=interval_seconds)
    if wait:
        sync(mirror.pk)
        mirror.refresh_from_db()
    else:
        tasks.defer(sync, mirror.pk)
    return _view(mirror)


def mirror_of(repo: Repository) -> GitMirrorView | None:
    mirror = GitMirror.objects.select_related("repository__owner").filter(repository=repo).first()
    return _view(mirror) if mirror is not None else None


def request_sync(*, actor: Principal, repo: Repository) -> None:
    """Queue a sync now (admins of the repository)."""
    require_repo(actor, repo, Level.ADMIN)
    mirror = GitMirror.objects.filter(repository=repo).first()
    if mirror is None:
        raise NotFound(f"{repo.full_name} is not a pull mirror")
    tasks.defer(sync, mirror.pk)


def convert(*, actor: Principal | None, repo: Repository) -> None:
    """Stop mirroring: the repository stays, with its history, and accepts pushes again.
    ``actor`` None: the operator."""
    if actor is not None:
        require_repo(actor, repo, Level.ADMIN)
    deleted, _ = GitMirror.objects.filter(repository=repo).delete()
    if not deleted:
        raise NotFound(f"{repo.full_name} is not a pull mirror")


def _get(owner: str, name: str) -> GitMirror:
    mirror = (
        GitMirror.objects.select_related("repository__owner")
        .filter(repository__owner__name_lower=owner.lower(), repository__name_lower=name.lower())
        .first()
    )
    if mirror is None:
        raise NotFound(f"{owner}/{name} is not a pull mirror")
    return mirror


def git_mirror_list() -> list[GitMirrorView]:
    return [_view(m) for m in GitMirror.objects.select_related("repository__owner").order_by("pk")]


def git_mirror_sync(*, owner: str, name: str) -> GitMirrorView:
    mirror = _get(owner, name)
    sync(mirror.pk)
    mirror.refresh_from_db()
    return _view(mirror)


def git_mirror_convert(*, owner: str, name: str) -> None:
    convert(actor=None, repo=_get(owner, name).repository)


def sync(mirror_id: int) -> None:
    """Fetch one mirror now (a task function: idempotent, JSON arguments)."""
    mirror = GitMirror.objects.select_related("repository").filter(pk=mirror_id).first()
    if mirror is None:
        return
    now = timezone.now()
    mirror.last_attempt = now
    try:
        check_url(mirror.url)  # the operator's address rules may have changed
        refs.fetch_mirror(repo=mirror.repository, url=mirror.url, timeout=FETCH_TIMEOUT)
    except (GitError, net.UpstreamError, InvalidInput) as exc:
        mirror.last_error = str(exc)[:2000]
        log.warning("pull mirror %s: %s", mirror.url, exc)
    else:
        mirror.last_sync = now
        mirror.last_error = ""
    mirror.save(update_fields=["last_attempt", "last_sync", "last_error"])


def sync_due() -> int:
    """Defer a sync of every mirror whose interval has passed; returns how many."""
    now = timezone.now()
    ids = [
        mirror.pk
        for mirror in GitMirror.objects.filter(interval_seconds__gt=0).only(
            "pk", "interval_seconds", "last_attempt"
        )
        if mirror.last_attempt is None
        or now - mirror.last_attempt >= timedelta(seconds=mirror.interval_seconds)
    ]
    for mirror_id in ids:
        tasks.defer(sync, mirror_id)
    return len(ids)


def pull_source(repo: Repository) -> str | None:
    """The URL a repository mirrors (pushes are refused while it does), else None."""
    mirror = GitMirror.objects.filter(repository=repo).only("url").first()
    return mirror.url if mirror is not None else None
