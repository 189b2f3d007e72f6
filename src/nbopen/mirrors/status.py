"""What a reader is told about a mirrored repository (Hub info, the repository page)."""

from __future__ import annotations

from typing import Any

from nbopen.mirrors.models import GitMirror, MirroredRepository
from nbopen.repos.models import Repository


def mirror_status(repo: Repository) -> dict[str, Any] | None:
    """Source, upstream revision, last sync and last error of a mirror; None otherwise.
    The source URL is the upstream's public address and the original id (no token)."""
    mirror = MirroredRepository.objects.filter(repository=repo).first()
    if mirror is None:
        return _pull_mirror_status(repo)
    return {
        "source": f"{mirror.source_url}/{'datasets/' if mirror.source_type == 'dataset' else ''}"
        f"{mirror.source_id}",
        "sourceId": mirror.source_id,
        "upstreamRevision": mirror.upstream_revision,
        "lastSync": mirror.last_sync.isoformat(),
        "lastChecked": mirror.last_checked.isoformat(),
        "lastError": mirror.last_error,
    }


def _pull_mirror_status(repo: Repository) -> dict[str, Any] | None:
    pull = GitMirror.objects.filter(repository=repo).first()
    if pull is None:
        return None
    return {
        "source": pull.url,
        "lastSync": pull.last_sync.isoformat() if pull.last_sync else "",
        "lastChecked": pull.last_attempt.isoformat() if pull.last_attempt else "",
        "lastError": pull.last_error,
    }
