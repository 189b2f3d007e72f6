"""What the operators' mirror page lists: upstreams (never their tokens), mirrors with the
bytes they hold, and the traffic the cache saved (:mod:`.traffic`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Sum

from nbopen.mirrors.models import MirroredRepository, Upstream
from nbopen.repos.models import RepositoryLFSObject


@dataclass(frozen=True)
class MirrorRow:
    mirror: MirroredRepository
    stored_bytes: int


def upstreams() -> list[Upstream]:
    return list(Upstream.objects.all())


def mirrors(limit: int = 500) -> list[MirrorRow]:
    """The most recently synced mirrors with the bytes of the LFS objects they reference."""
    found = list(
        MirroredRepository.objects.select_related("repository__owner", "upstream").order_by(
            "-last_sync"
        )[:limit]
    )
    sizes = dict(
        RepositoryLFSObject.objects.filter(repository_id__in=[m.repository_id for m in found])
        .values("repository_id")
        .annotate(total=Sum("lfs_object__size"))
        .values_list("repository_id", "total")
    )
    return [MirrorRow(m, int(sizes.get(m.repository_id) or 0)) for m in found]
