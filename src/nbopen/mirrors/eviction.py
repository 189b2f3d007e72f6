"""Keeping the on-demand cache within its size budget (NBOPEN_MIRROR_CACHE_MB).

Which bytes may go: LFS objects referenced only by mirrors that nobody pinned
(:mod:`.prefetch` pins), least recently used mirror first (``last_used``: the last download
served from local storage, else the last sync). An object that any other repository also
references — an upload, a fork, a pinned mirror — is never deleted. Evicting removes the
bytes and the mirror's link to them; the pointer stays in the mirror's git history, so the
next request for the file finds it missing and fetches it again through the pull-through
path, like the first time. Each object is deleted under its fetch lock, so an eviction never
races a fetch of the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from nbopen.config.env import CONFIG
from nbopen.core.storage import get_storage
from nbopen.mirrors import locks
from nbopen.mirrors.models import MirroredRepository
from nbopen.repos.models import LFSObject, RepositoryLFSObject


@dataclass(frozen=True)
class EvictReport:
    cached_bytes: int  # evictable bytes before
    budget: int
    evicted_objects: int
    evicted_bytes: int


def _evictable() -> Q:
    """Objects whose every reference is from an unpinned mirror."""
    return Q(links__repository__mirror__pinned=False)


def cached_bytes() -> int:
    """Bytes of objects only unpinned mirrors reference (what the budget limits)."""
    return sum(size for _oid, size in _candidates_of(None))


def _candidates_of(mirror: MirroredRepository | None) -> list[tuple[str, int]]:
    """(oid, size) referenced by ``mirror`` (or by any unpinned mirror) and by nothing else."""
    found = LFSObject.objects.annotate(
        refs=Count("links", distinct=True),
        evictable_refs=Count("links", filter=_evictable(), distinct=True),
    ).filter(refs=F("evictable_refs"), refs__gt=0)
    if mirror is not None:
        found = found.filter(links__repository_id=mirror.repository_id)
    return list(found.values_list("oid", "size").distinct())


def evict(budget: int | None = None) -> EvictReport:
    """Delete least recently used mirrors' objects until the cache fits ``budget`` bytes
    (default NBOPEN_MIRROR_CACHE_MB; 0: unlimited, nothing is evicted)."""
    budget = CONFIG.mirror_cache_bytes if budget is None else budget
    total = cached_bytes()
    if budget <= 0 or total <= budget:
        return EvictReport(total, budget, 0, 0)
    storage = get_storage()
    evicted = evicted_bytes = 0
    order = MirroredRepository.objects.filter(pinned=False).order_by(
        Coalesce("last_used", "last_sync").asc(), "pk"
    )
    for mirror in order:
        for oid, size in _candidates_of(mirror):
            if total - evicted_bytes <= budget:
                return EvictReport(total, budget, evicted, evicted_bytes)
            fd = locks.try_hold(locks.object_name(oid))
            if fd is None:  # being fetched right now: leave it
                continue
            try:
                RepositoryLFSObject.objects.filter(
                    repository_id=mirror.repository_id, lfs_object__oid=oid
                ).delete()
                if not RepositoryLFSObject.objects.filter(lfs_object__oid=oid).exists():
                    storage.delete(oid)  # the object's row stays: it names no bytes now
                    evicted += 1
                    evicted_bytes += size
            finally:
                locks.release(fd)
    return EvictReport(total, budget, evicted, evicted_bytes)


def evict_job() -> None:
    """Task: :func:`evict` with the configured budget."""
    evict()


def stored_by_mirror() -> dict[int, int]:
    """Bytes each mirror references (mirror id → bytes), for listings."""
    rows = (
        RepositoryLFSObject.objects.filter(repository__mirror__isnull=False)
        .values("repository__mirror__pk")
        .annotate(total=Sum("lfs_object__size"))
    )
    return {row["repository__mirror__pk"]: int(row["total"] or 0) for row in rows}
