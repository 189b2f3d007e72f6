"""The pull-through cache for model and dataset repositories (ADR 0022).

A Hub request for ``owner/name`` that names no local repository comes here. An existing
mirror answers under its original id (the alias); otherwise, for a caller the policy lets
trigger fetches, the upstreams are asked in order and the first that has the repository
(public, not gated, admitted by its allow/deny lists; a Hugging Face or a ModelScope API,
:mod:`.hub` and :mod:`.modelscope`) is copied: its files' list and every
regular file's bytes (checked against their git blob ids), and LFS files as pointers only.
The copy is one local commit on the default branch built by the write service, so the Hub
API, the web pages and ``git clone`` read it like any repository; LFS bytes come later, on
first request (:mod:`.objects`). The repository lives in the upstream's namespace as
``{upstream}/{owner}__{name}``, which no user may write to.

Metadata is re-checked after NBOPEN_MIRROR_REFRESH seconds; when the upstream moved, the
new revision becomes a new local commit. An unreachable upstream only records the error: what
is cached keeps being served.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import timedelta

from django.utils import timezone

from nbopen.access.policy import Level, Principal, may_fetch_upstream, repo_level
from nbopen.core.errors import DomainError
from nbopen.core.names import is_well_formed, validate_repo_name
from nbopen.mirrors import hub, locks, net, upstreams
from nbopen.mirrors.models import MirroredRepository, Upstream
from nbopen.orgs.models import Organization
from nbopen.repos.git import read
from nbopen.repos.git.bare import GitError
from nbopen.repos.models import Repository
from nbopen.repos.services import namespace_get, repo_create_in
from nbopen.repos.writes import commits

log = logging.getLogger(__name__)
MIRRORED_TYPES = (Repository.Type.MODEL, Repository.Type.DATASET)
MAX_REGULAR_FILE = 64 * 1024 * 1024  # a non-LFS file larger than this is refused
SHA256 = frozenset("0123456789abcdef")
MISS_SECONDS = 60.0  # how long this process remembers that no upstream had an id
_MISSES: dict[str, float] = {}


def local_name(source_id: str) -> str:
    owner, name = source_id.split("/", 1)
    return f"{owner}__{name}"


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def find(principal: Principal, owner: str, name: str, repo_type: str | None) -> Repository | None:
    """The local mirror answering ``owner/name`` (made now if an upstream has it), or None."""
    if repo_type not in MIRRORED_TYPES or not (is_well_formed(owner) and is_well_formed(name)):
        return None
    source_id = f"{owner}/{name}"
    mirror = _existing(repo_type, source_id)
    if mirror is not None:
        if _due(mirror) and may_fetch_upstream(principal) and _may_read(principal, mirror):
            refresh(mirror)
        return mirror.repository  # the channel's read rule decides what the caller sees
    if not may_fetch_upstream(principal) or not Upstream.objects.exists():
        return None
    key = _lock_key(repo_type, source_id)
    if _MISSES.get(key, 0.0) > time.monotonic():
        return None
    with locks.held(f"repo-{key}"):  # concurrent first requests make one mirror
        mirror = _existing(repo_type, source_id)
        if mirror is not None:
            return mirror.repository
        repo, failed = _mirror_from_upstreams(repo_type, source_id, principal)
    if repo is None and not failed:
        # A typo or a private id must not cost a round of upstream requests each time (an
        # upstream error is not remembered: the next request tries again).
        if len(_MISSES) > 10_000:
            _MISSES.clear()
        _MISSES[key] = time.monotonic() + MISS_SECONDS
    return repo


def alias(owner: str, name: str, repo_type: str | None) -> Repository | None:
    """The mirror made of ``owner/name`` already, if any; no upstream is asked (web pages)."""
    mirror = _existing(repo_type or Repository.Type.MODEL, f"{owner}/{name}")
    return mirror.repository if mirror is not None else None


def _may_read(principal: Principal, mirror: MirroredRepository) -> bool:
    repo = mirror.repository
    return not repo.private or repo_level(principal, repo) >= Level.READ


def _member(principal: Principal | None, org: Organization) -> bool:
    """Whether ``principal`` may have a private upstream repository mirrored for ``org``
    (None: an operator's prefetch)."""
    if principal is None:
        return True
    return principal.is_authenticated and org.pk in principal.org_roles()


def _existing(repo_type: str, source_id: str) -> MirroredRepository | None:
    return (
        MirroredRepository.objects.select_related("repository__owner", "upstream")
        .filter(source_type=repo_type, source_id_lower=source_id.lower())
        .first()
    )


def _due(mirror: MirroredRepository) -> bool:
    from nbopen.config.env import CONFIG

    return timezone.now() - mirror.last_checked > timedelta(seconds=CONFIG.mirror_refresh_seconds)


def _lock_key(repo_type: str, source_id: str) -> str:
    return hashlib.sha256(f"{repo_type}:{source_id.lower()}".encode()).hexdigest()


def mirror_now(repo_type: str, source_id: str) -> Repository | None:
    """The mirror of ``source_id``, made now from the first upstream that has it (an
    operator's prefetch: no caller policy, no remembered misses); None if none has it."""
    with locks.held(f"repo-{_lock_key(repo_type, source_id)}"):
        mirror = _existing(repo_type, source_id)
        if mirror is not None:
            return mirror.repository
        repo, _failed = _mirror_from_upstreams(repo_type, source_id, None)
    return repo


def _mirror_from_upstreams(
    repo_type: str, source_id: str, principal: Principal | None
) -> tuple[Repository | None, bool]:
    """The new mirror (or None) and whether the answer must not be remembered as a miss (an
    upstream failed, or a private repository exists that this caller may not have mirrored).

    A private or gated upstream repository is mirrored only for the organization that
    configured the upstream's token, into a private repository of that organization, and
    only when a member of it (or an operator) asks: anyone else learns nothing of it."""
    try:
        validate_repo_name(local_name(source_id))
    except DomainError as exc:  # too long for one name once joined
        log.warning("cannot mirror %s: %s", source_id, exc)
        return None, False
    failed = False
    for upstream in Upstream.objects.all():  # Hugging Face and ModelScope APIs alike
        if not upstreams.admits(upstream, source_id):
            continue
        try:
            remote = hub.repo_at(upstream, repo_type, source_id)
            if remote is None:
                continue
            org = None
            if remote.private or remote.gated:
                org = upstream.organization
                if org is None or not upstream.token_encrypted:
                    log.info("%s on %s is private or gated: not mirrored", source_id, upstream.name)
                    continue
                if not _member(principal, org):
                    failed = True  # a member's request must still find it
                    continue
            operations = _operations(upstream, repo_type, source_id, remote)
        except (net.UpstreamError, DomainError) as exc:
            log.warning("upstream %s: %s", upstream.name, exc)
            failed = True
            continue
        return _create(upstream, repo_type, source_id, remote, operations, org), False
    return None, failed


def _operations(
    upstream: Upstream, repo_type: str, source_id: str, remote: hub.RemoteRepo
) -> list[commits.Operation]:
    """Every file of the revision: LFS files as pointers, regular files fetched and checked
    against their blob id before anything is written."""
    operations: list[commits.Operation] = []
    for file in remote.files:
        if file.lfs_oid is not None and file.lfs_size is not None:
            if len(file.lfs_oid) != 64 or not set(file.lfs_oid) <= SHA256:
                raise net.UpstreamError(f"{file.path}: not a sha256 LFS id")
            operations.append(commits.AddLfs(file.path, file.lfs_oid, file.lfs_size))
            continue
        if file.size > MAX_REGULAR_FILE:
            raise net.UpstreamError(f"{file.path}: a regular file of {file.size} bytes")
        response = hub.open_file(upstream, repo_type, source_id, remote.sha, file.path)
        try:
            data = response.read(file.size + 1)
        except Exception as exc:
            raise net.UpstreamError(f"{file.path}: {exc}") from exc
        finally:
            response.release_conn()
        if file.sha256 is not None:  # ModelScope lists content hashes, not blob ids
            if hashlib.sha256(data).hexdigest() != file.sha256:
                raise net.UpstreamError(f"{file.path}: the bytes do not match {file.sha256}")
            operations.append(commits.AddBlob(file.path, data, git_blob_id(data)))
            continue
        if git_blob_id(data) != file.blob_oid:
            raise net.UpstreamError(f"{file.path}: the bytes do not match blob {file.blob_oid}")
        operations.append(commits.AddBlob(file.path, data, file.blob_oid))
    return operations


def _create(
    upstream: Upstream,
    repo_type: str,
    source_id: str,
    remote: hub.RemoteRepo,
    operations: list[commits.Operation],
    private_for: Organization | None,
) -> Repository | None:
    """The mirror repository: in the upstream's namespace, or (``private_for``) a private
    repository of the organization whose token reached a private upstream repository."""
    try:
        repo = repo_create_in(
            namespace=namespace_get(private_for.name if private_for else upstream.name),
            name=local_name(source_id),
            type=repo_type,
            created_by=None,
            private=private_for is not None,
            description=f"Mirror of {source_id} ({upstream.url})",
        )
    except DomainError as exc:  # a name too long, or taken in the namespace
        log.warning("cannot mirror %s: %s", source_id, exc)
        return None
    _commit(repo, upstream, source_id, remote, operations, parent=None)
    now = timezone.now()
    MirroredRepository.objects.create(
        repository=repo,
        upstream=upstream,
        source_url=upstream.url,
        source_id=source_id,
        source_id_lower=source_id.lower(),
        source_type=repo_type,
        upstream_revision=remote.sha,
        last_sync=now,
        last_checked=now,
    )
    return repo


def _commit(
    repo: Repository,
    upstream: Upstream,
    source_id: str,
    remote: hub.RemoteRepo,
    operations: list[commits.Operation],
    *,
    parent: str | None,
) -> str:
    sha, _ = commits.commit(
        repo=repo,
        actor=None,
        branch=repo.default_branch,
        operations=operations,
        message=f"Mirror of {source_id} at {remote.sha}\n\nSource: {upstream.url}",
        parent=parent,
        verbatim=True,
    )
    return sha


def refresh(mirror: MirroredRepository) -> None:
    """Bring the mirror to the upstream's current revision; on failure keep what is cached
    and record why."""
    mirror.last_checked = timezone.now()
    upstream = mirror.upstream
    if upstream is None:
        mirror.last_error = "the upstream was removed"
        mirror.save(update_fields=["last_checked", "last_error"])
        return
    repo = mirror.repository
    try:
        remote = hub.repo_at(upstream, mirror.source_type, mirror.source_id)
        if remote is None:
            raise net.UpstreamError("the upstream no longer has this repository")
        if (remote.private or remote.gated) and not repo.private:
            # never copy what only the token sees into a repository others read
            raise net.UpstreamError("the upstream repository is private or gated now")
        if remote.sha != mirror.upstream_revision:
            operations = _operations(upstream, mirror.source_type, mirror.source_id, remote)
            head = read.resolve(repo.git_path, repo.default_branch)
            keep = {file.path for file in remote.files}
            if head is not None:
                operations += [
                    commits.DeleteFile(entry.path)
                    for entry in read.ls_tree(repo.git_path, head, recursive=True)
                    if entry.type == "blob" and entry.path not in keep
                ]
            _commit(repo, upstream, mirror.source_id, remote, operations, parent=head)
            mirror.upstream_revision = remote.sha
            mirror.last_sync = mirror.last_checked
    except (net.UpstreamError, DomainError, GitError) as exc:
        mirror.last_error = str(exc)[:2000]
        log.warning("refreshing %s: %s", mirror.source_id, exc)
    else:
        mirror.last_error = ""
    mirror.save(update_fields=["last_checked", "last_error", "upstream_revision", "last_sync"])
