"""What the pull-through cache saved: bytes fetched from upstreams against bytes served locally.

Counted per mirror and day (:class:`~nbopen.mirrors.models.MirrorTrafficDay`): an object
fetched from the upstream counts its size once, when it is stored (:mod:`.objects`); a
download of a stored object of a mirror counts its size as served locally (the resolve
route, for whole-file reads and reads from the start; a resumed partial read is not
counted, as for download counts). The ratio is the uplink traffic the city did not pay.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from nbopen.mirrors.models import MirroredRepository, MirrorTrafficDay

_MIRROR_OF_TTL = 60.0
_mirror_of: dict[int, tuple[int | None, float]] = {}
_lock = threading.Lock()


def mirror_id_of(repo_id: int) -> int | None:
    """The mirror record of a repository, or None; remembered a minute per process, since
    the resolve route asks on every LFS download and most repositories are not mirrors."""
    now = time.monotonic()
    with _lock:
        known = _mirror_of.get(repo_id)
        if known is not None and known[1] > now:
            return known[0]
    found = MirroredRepository.objects.filter(repository_id=repo_id).values_list("pk", flat=True)
    mirror_id = found.first()
    with _lock:
        if len(_mirror_of) > 50_000:
            _mirror_of.clear()
        _mirror_of[repo_id] = (mirror_id, now + _MIRROR_OF_TTL)
    return mirror_id


def record(mirror_id: int, *, upstream: int = 0, local: int = 0) -> None:
    """Add one object's bytes to today's row (``upstream`` fetched or ``local`` served)."""
    changes = {
        "bytes_upstream": F("bytes_upstream") + upstream,
        "files_upstream": F("files_upstream") + (1 if upstream else 0),
        "bytes_local": F("bytes_local") + local,
        "files_local": F("files_local") + (1 if local else 0),
    }
    day = timezone.now().date()
    rows = MirrorTrafficDay.objects.filter(mirror_id=mirror_id, day=day)
    if rows.update(**changes):
        return
    try:
        with transaction.atomic():
            MirrorTrafficDay.objects.create(
                mirror_id=mirror_id,
                day=day,
                bytes_upstream=upstream,
                files_upstream=1 if upstream else 0,
                bytes_local=local,
                files_local=1 if local else 0,
            )
    except IntegrityError:  # another request made today's row first
        rows.update(**changes)


def record_local(repo_id: int, size: int) -> None:
    """A download of ``size`` bytes of a stored object of ``repo_id``, if it is a mirror
    (also its ``last_used``, which orders eviction: :mod:`.eviction`)."""
    mirror_id = mirror_id_of(repo_id)
    if mirror_id is None:
        return
    record(mirror_id, local=size)
    now = timezone.now()
    MirroredRepository.objects.filter(pk=mirror_id).filter(
        Q(last_used__isnull=True) | Q(last_used__lt=now - timedelta(minutes=1))
    ).update(last_used=now)


@dataclass(frozen=True)
class TrafficRow:
    """Traffic of one upstream (or all, ``upstream`` None) over a period."""

    upstream: str | None
    bytes_upstream: int
    files_upstream: int
    bytes_local: int
    files_local: int

    @property
    def saved_share(self) -> float | None:
        """Share of all bytes clients received that did not cross the uplink."""
        total = self.bytes_local + self.bytes_upstream
        return self.bytes_local / total if total else None


def summary(days: int = 30, today: date | None = None) -> list[TrafficRow]:
    """Per upstream over the last ``days`` days, then the total (upstream None). Aggregates
    only: no repository names, so the figures say nothing of private mirrors."""
    since = (today or timezone.now().date()) - timedelta(days=days - 1)
    rows = (
        MirrorTrafficDay.objects.filter(day__gte=since)
        .values("mirror__upstream__name")
        .annotate(
            up=Sum("bytes_upstream"),
            up_files=Sum("files_upstream"),
            local=Sum("bytes_local"),
            local_files=Sum("files_local"),
        )
        .order_by("mirror__upstream__name")
    )
    result = [
        TrafficRow(
            row["mirror__upstream__name"] or "-",  # "-": mirrors of a removed upstream
            int(row["up"] or 0),
            int(row["up_files"] or 0),
            int(row["local"] or 0),
            int(row["local_files"] or 0),
        )
        for row in rows
    ]
    result.append(
        TrafficRow(
            None,
            sum(r.bytes_upstream for r in result),
            sum(r.files_upstream for r in result),
            sum(r.bytes_local for r in result),
            sum(r.files_local for r in result),
        )
    )
    return result
