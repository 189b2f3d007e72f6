"""Download counts: per repository and day, plus who fetched it when they were signed in.

A domain service so that the Hub's resolve route only decides *whether* a request counts
(``hubapi/hf/stats.counts_as_download``) and never writes counts or events itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from nbopen.accounts.models import User
from nbopen.core import events
from nbopen.repos.models import Repository, RepositoryDownloadDay
from nbopen.search import indexer

WINDOW_DAYS = 30
DEDUP_SECONDS = 300
_recent: dict[tuple[int, str], float] = {}
_recent_lock = threading.Lock()


def record_download(*, repo_id: int, client: str) -> bool:
    """Count one download unless ``client`` already counted for this repository recently."""
    now = time.monotonic()
    key = (repo_id, client)
    with _recent_lock:
        last = _recent.get(key)
        if last is not None and now - last < DEDUP_SECONDS:
            return False
        _recent[key] = now
        if len(_recent) > 100_000:
            for stale in [k for k, t in _recent.items() if now - t >= DEDUP_SECONDS]:
                del _recent[stale]
    day = timezone.now().date()
    updated = RepositoryDownloadDay.objects.filter(repository_id=repo_id, day=day).update(
        count=F("count") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                RepositoryDownloadDay.objects.create(repository_id=repo_id, day=day, count=1)
        except IntegrityError:
            RepositoryDownloadDay.objects.filter(repository_id=repo_id, day=day).update(
                count=F("count") + 1
            )
    # The search index sorts listings by downloads: keep its copy of the count current.
    indexer.signals_update(repository_id=repo_id, downloads=downloads([repo_id]).get(repo_id, 0))
    return True


def record_member_download(repository: Repository, user: User) -> None:
    """A signed-in user's counted download, kept as a ``repo.download`` event.

    Counts stay in ``RepositoryDownloadDay`` (most downloads are anonymous); the event says
    *who* fetched it, which is what cost-saved-by-reuse needs: a download by a member of
    another organization is reuse by that organization (``analytics.value``). Called only
    for downloads that counted, so a client's retries within five minutes add nothing.
    """
    events.record("repo.download", actor=user, repository=repository)


def downloads_all_time(repo_ids: Iterable[int]) -> dict[int, int]:
    """repository id → every download counted since it was created (``downloadsAllTime``)."""
    rows = (
        RepositoryDownloadDay.objects.filter(repository_id__in=list(repo_ids))
        .values("repository_id")
        .annotate(total=Sum("count"))
    )
    return {row["repository_id"]: int(row["total"] or 0) for row in rows}


def downloads(repo_ids: Iterable[int]) -> dict[int, int]:
    """repository id → downloads in the last 30 days."""
    since = timezone.now().date() - timedelta(days=WINDOW_DAYS - 1)
    rows = (
        RepositoryDownloadDay.objects.filter(repository_id__in=list(repo_ids), day__gte=since)
        .values("repository_id")
        .annotate(total=Sum("count"))
    )
    return {row["repository_id"]: int(row["total"] or 0) for row in rows}
