"""Trending: recent activity on a repository, decayed by age.

    trending(repo) = Σ over its events in the last 14 days of  weight(kind) × 0.5 ^ (age_h / 72)

weights: like +3, unlike −3, download +0.2 (signed-in downloads are logged as events;
anonymous ones are only counted), push +1,
create +0.5. A like is worth three pushes; anything loses half its weight every three days
and is forgotten after two weeks. Scores are clamped at 0 and refreshed from the event log at
most every ten minutes (and on every rebuild), so "trending this week" costs nothing per query.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from nbopen.core.models import Event
from nbopen.search.models import IndexState, SearchDocument

WEIGHTS = {
    "repo.like": 3.0,
    "repo.unlike": -3.0,
    "repo.download": 0.2,
    "repo.push": 1.0,
    "repo.create": 0.5,
}
HALF_LIFE_HOURS = 72.0
WINDOW = timedelta(days=14)
MIN_INTERVAL = timedelta(minutes=10)
STATE = "trending"


def scores() -> dict[int, float]:
    now = timezone.now()
    totals: dict[int, float] = defaultdict(float)
    rows = Event.objects.filter(
        created_at__gte=now - WINDOW, kind__in=list(WEIGHTS), repository_id__isnull=False
    ).values_list("repository_id", "kind", "created_at")
    for repo_id, kind, created in rows.iterator(chunk_size=5000):
        age_hours = max(0.0, (now - created).total_seconds() / 3600)
        totals[int(repo_id or 0)] += WEIGHTS[kind] * 0.5 ** (age_hours / HALF_LIFE_HOURS)
    return {k: round(v, 6) for k, v in totals.items() if v > 1e-6}


@transaction.atomic
def refresh() -> int:
    """Recompute every repository's trending score; returns how many are above zero."""
    new = scores()
    IndexState.objects.update_or_create(name=STATE, defaults={})
    SearchDocument.objects.filter(trending__gt=0).exclude(repository_id__in=list(new)).update(
        trending=0.0
    )
    docs = list(SearchDocument.objects.filter(repository_id__in=list(new)))
    for doc in docs:
        doc.trending = new[doc.repository_id or 0]
    SearchDocument.objects.bulk_update(docs, ["trending"], batch_size=1000)
    return len(new)


def maybe_refresh() -> bool:
    """Refresh if the last refresh is older than ``MIN_INTERVAL`` (called by the index job)."""
    last = IndexState.objects.filter(name=STATE).values_list("updated_at", flat=True).first()
    if last is not None and timezone.now() - last < MIN_INTERVAL:
        return False
    refresh()
    return True
