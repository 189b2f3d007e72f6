"""Mirroring ahead of time: an operator names a repository (and which files), the server
fetches it now and re-syncs it on a schedule, so a site that will go offline, or a class
that will download a model at 9:00, finds every byte local (issue 17, item 3).

A prefetched mirror is the same :class:`~nbopen.mirrors.models.MirroredRepository` the
pull-through cache makes, marked ``pinned`` (never evicted, :mod:`.eviction`) with its
``include`` patterns and ``sync_interval``. A sync refreshes the metadata
(:func:`nbopen.mirrors.pull.refresh`), then fetches every LFS file of the head that matches
and is not stored, one object at a time under the same per-object lock as a client's cold
request, so a prefetch and a download never fetch the same bytes twice.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from nbopen.core import tasks
from nbopen.core.errors import InvalidInput, NotFound
from nbopen.core.storage import get_storage
from nbopen.datasets.sources import parse_pointer
from nbopen.mirrors import locks, objects, pull
from nbopen.mirrors.models import MirroredRepository
from nbopen.repos.git import read
from nbopen.repos.models import Repository

POINTER_MAX = 1024
LOCK_WAIT_SECONDS = 3600.0

Progress = Callable[[str, int, int], None]  # (path, bytes done so far, bytes to fetch)


@dataclass(frozen=True)
class SyncReport:
    files: int  # LFS files that match the patterns
    fetched: int  # objects fetched from the upstream now
    fetched_bytes: int
    already_stored: int
    error: str = ""


def add(
    repo_type: str,
    source_id: str,
    *,
    include: list[str] | None = None,
    interval: int = 0,
    progress: Progress | None = None,
) -> tuple[MirroredRepository, SyncReport]:
    """Mirror ``source_id`` now, pin it and fetch its matching files."""
    if repo_type not in pull.MIRRORED_TYPES:
        raise InvalidInput("Only model and dataset repositories are mirrored from hubs")
    if interval < 0:
        raise InvalidInput("The sync interval must be zero or a number of seconds")
    repo = pull.mirror_now(repo_type, source_id)
    if repo is None:
        raise NotFound(f"No upstream has {source_id} (or it is private, gated, or denied)")
    mirror = MirroredRepository.objects.get(repository=repo)
    mirror.pinned = True
    mirror.include = list(include or [])
    mirror.sync_interval = interval
    mirror.save(update_fields=["pinned", "include", "sync_interval"])
    return mirror, sync(mirror, progress=progress)


def remove(mirror: MirroredRepository) -> None:
    """Stop prefetching: the mirror stays as an on-demand cache (evictable)."""
    mirror.pinned = False
    mirror.sync_interval = 0
    mirror.save(update_fields=["pinned", "sync_interval"])


def find(source_id: str, repo_type: str | None = None) -> MirroredRepository:
    """The mirror of ``source_id`` (original id, case-insensitive)."""
    found = MirroredRepository.objects.select_related("repository", "upstream").filter(
        source_id_lower=source_id.lower()
    )
    if repo_type is not None:
        found = found.filter(source_type=repo_type)
    mirror = found.first()
    if mirror is None:
        raise NotFound(f"{source_id} is not mirrored")
    return mirror


def listed() -> list[MirroredRepository]:
    return list(
        MirroredRepository.objects.select_related("repository__owner", "upstream").order_by(
            "source_type", "source_id_lower"
        )
    )


def wanted(mirror: MirroredRepository, path: str) -> bool:
    patterns = mirror.include or []
    return not patterns or any(fnmatch.fnmatchcase(path, p) for p in patterns)


def sync(mirror: MirroredRepository, *, progress: Progress | None = None) -> SyncReport:
    """Refresh the metadata, then fetch each wanted LFS object that is not stored yet."""
    pull.refresh(mirror)
    if mirror.last_error:
        return SyncReport(0, 0, 0, 0, mirror.last_error)
    repo = mirror.repository
    head = read.resolve(repo.git_path, repo.default_branch)
    if head is None:
        return SyncReport(0, 0, 0, 0)
    pointers = _wanted_pointers(mirror, repo, head)
    storage = get_storage()
    todo = [(path, oid, size) for path, oid, size in pointers if storage.size(oid) != size]
    total = sum(size for _, _, size in todo)
    done = fetched = 0
    for path, oid, size in todo:
        if _fetch_one(repo, path, oid, size):
            fetched += 1
            done += size
        if progress is not None:
            progress(path, done, total)
    return SyncReport(len(pointers), fetched, done, len(pointers) - len(todo))


def _wanted_pointers(
    mirror: MirroredRepository, repo: Repository, head: str
) -> list[tuple[str, str, int]]:
    return _pointers(repo, head, lambda path: wanted(mirror, path))


def _pointers(
    repo: Repository, head: str, keep: Callable[[str], bool]
) -> list[tuple[str, str, int]]:
    """(path, oid, size) of every LFS pointer at ``head`` whose path ``keep`` admits."""
    entries = [
        e
        for e in read.ls_tree(repo.git_path, head, recursive=True)
        if e.type == "blob" and (e.size or 0) <= POINTER_MAX and keep(e.path)
    ]
    blobs = read.read_small_blobs(repo.git_path, [e.oid for e in entries], max_size=POINTER_MAX)
    found = []
    for entry in entries:
        pointer = parse_pointer(blobs.get(entry.oid, b""))
        if pointer is not None:
            oid, size = pointer
            found.append((entry.path, oid, size))
    return found


def cold_files(repo: Repository, oids: Collection[str]) -> dict[str, tuple[str, str]]:
    """Of ``oids``, those a file of a mirror's head points at: oid → (head commit, path).

    Why: the LFS batch API is asked by oid alone, but a mirror fetches an object by the
    upstream path of a file that points at it (:mod:`.objects`), and only files of the head,
    which is the upstream revision the mirror follows. Empty for a repository that is not
    a mirror with an upstream."""
    wanted_oids = set(oids)
    if (
        not wanted_oids
        or not MirroredRepository.objects.filter(repository=repo, upstream__isnull=False).exists()
    ):
        return {}
    head = read.resolve(repo.git_path, repo.default_branch)
    if head is None:
        return {}
    found: dict[str, tuple[str, str]] = {}
    for path, oid, _size in _pointers(repo, head, lambda _path: True):
        if oid in wanted_oids:
            found.setdefault(oid, (head, path))
    return found


def _fetch_one(repo: Repository, path: str, oid: str, size: int) -> bool:
    """Fetch one object unless someone else did meanwhile; True if this call fetched it."""
    wanted_pull = objects.pull_for(repo, path, oid, size)
    if wanted_pull is None:
        return False
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    fd = locks.try_hold(objects.lock_name(oid))
    while fd is None:  # a client's cold request is fetching it: wait, then check storage
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
        fd = locks.try_hold(objects.lock_name(oid))
    if objects.stored(wanted_pull):
        locks.release(fd)
        return False
    objects.fetch(wanted_pull, fd)  # releases the lock; raises on a broken upstream
    return True


def sync_job(mirror_id: int) -> None:
    """Task: one scheduled sync (errors are recorded on the mirror by the refresh, or raise
    from a fetch, which the task runner logs; the next schedule retries)."""
    mirror = MirroredRepository.objects.select_related("repository", "upstream").get(pk=mirror_id)
    sync(mirror)


def sync_due() -> int:
    """Defer a sync of every prefetched mirror whose interval has passed; how many."""
    now = timezone.now()
    ids = [
        m.pk
        for m in MirroredRepository.objects.filter(sync_interval__gt=0).only(
            "pk", "sync_interval", "last_checked"
        )
        if now - m.last_checked >= timedelta(seconds=m.sync_interval)
    ]
    for mirror_id in ids:
        tasks.defer(sync_job, mirror_id)
    return len(ids)
