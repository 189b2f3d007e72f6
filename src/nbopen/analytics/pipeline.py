"""Glue between the database and the Parquet/DuckDB side: the platform's own event log into
the store, database context for the monthly computation, and the monthly job itself.

The platform log maps onto GitHub's event vocabulary so one set of queries serves both. The
mapping below is the contract for kinds other services will record (issues, pull requests,
likes, forks, downloads); their payloads should carry ``issue_id``, ``issue_author_id``,
``issue_author``, ``issue_created_at`` (ISO 8601), ``comment_id`` and ``merged`` as relevant.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from nbopen.analytics import compute, store
from nbopen.analytics.gharchive import _int, _ts
from nbopen.analytics.models import RegistryEntry
from nbopen.analytics.openrank import DEFAULT_TOLERANCE
from nbopen.core.models import Event
from nbopen.orgs.models import Membership, Organization
from nbopen.repos.models import Repository, RepositoryDownloadDay

log = logging.getLogger(__name__)

# platform event kind → (GitHub type, action)
KIND_MAP: dict[str, tuple[str, str]] = {
    "repo.push": ("PushEvent", ""),
    "repo.create": ("CreateEvent", ""),
    "repo.fork": ("ForkEvent", ""),
    "repo.like": ("WatchEvent", "started"),
    "repo.download": ("DownloadEvent", ""),
    "release.create": ("ReleaseEvent", "published"),
    "issue.open": ("IssuesEvent", "opened"),
    "issue.close": ("IssuesEvent", "closed"),
    "issue.reopen": ("IssuesEvent", "reopened"),
    "issue.comment": ("IssueCommentEvent", "created"),
    "pull.open": ("PullRequestEvent", "opened"),
    "pull.close": ("PullRequestEvent", "closed"),
    "pull.merge": ("PullRequestEvent", "closed"),
    "pull.review": ("PullRequestReviewEvent", "created"),
    "pull.review_comment": ("PullRequestReviewCommentEvent", "created"),
}


def _row(event: Event, repo: Repository | None) -> dict[str, Any]:
    etype, action = KIND_MAP[event.kind]
    payload = event.payload if isinstance(event.payload, dict) else {}
    created = event.created_at.astimezone(UTC).replace(tzinfo=None)
    org_name = ""
    if repo is not None and repo.owner.organization_id is not None:
        org_name = repo.owner.name
    return {
        "id": str(event.pk),
        "type": etype,
        "action": action,
        "actor_id": event.actor_id,
        "actor_login": event.actor_name,
        "repo_id": event.repository_id,
        "repo_name": repo.full_name if repo is not None else event.repository_name,
        "org_id": repo.owner.organization_id if repo is not None else event.organization_id,
        "org_login": org_name,
        "issue_id": _int(payload.get("issue_id")),
        "issue_number": _int(payload.get("issue_number")),
        "issue_author_id": _int(payload.get("issue_author_id")),
        "issue_author_login": str(payload.get("issue_author") or ""),
        "issue_created_at": _ts(payload.get("issue_created_at")),
        "is_pull": event.kind.startswith("pull."),
        "comment_id": _int(payload.get("comment_id")),
        "pull_merged": event.kind == "pull.merge" or bool(payload.get("merged")),
        "commits": _int(payload.get("commits")),
        # A repository that is gone or private never shows in public aggregates.
        "private": repo is None or repo.private,
        "created_at": created,
    }


def _download_rows(repos: dict[int, Repository]) -> Iterator[dict[str, Any]]:
    """Downloads are counted per repository and day in ``RepositoryDownloadDay`` (the Hub
    API's counter, no actor: most downloads are anonymous), not in the event log: one
    ``DownloadEvent`` row per counted download, at noon UTC of its day, with a stable id so a
    re-sync writes the same rows."""
    days = RepositoryDownloadDay.objects.filter(count__gt=0).order_by("repository_id", "day")
    for repo_id, day, count in days.values_list("repository_id", "day", "count").iterator():
        repo = repos.get(repo_id)
        created = datetime(day.year, day.month, day.day, 12)
        for i in range(int(count)):
            yield {
                "id": f"download:{repo_id}:{day.isoformat()}:{i}",
                "type": "DownloadEvent",
                "action": "",
                "actor_id": None,
                "actor_login": "",
                "repo_id": repo_id,
                "repo_name": repo.full_name if repo is not None else "",
                "org_id": repo.owner.organization_id if repo is not None else None,
                "org_login": repo.owner.name
                if repo is not None and repo.owner.organization_id is not None
                else "",
                "issue_id": None,
                "issue_number": None,
                "issue_author_id": None,
                "issue_author_login": "",
                "issue_created_at": None,
                "is_pull": False,
                "comment_id": None,
                "pull_merged": False,
                "commits": None,
                "private": repo is None or repo.private,
                "created_at": created,
            }


def sync_platform_events(*, base: Path | None = None, month: str | None = None) -> int:
    """Rewrite ``platform=nbopen/month=M/platform.parquet`` from the event log (all months, or
    one). Returns the number of rows written. Privacy follows the repository's *current*
    visibility, so making a repository private removes it from public figures on the next run.
    """
    # Downloads come from the download counter (``_download_rows``), never twice.
    kinds = [k for k in KIND_MAP if k != "repo.download"]
    qs = Event.objects.filter(kind__in=kinds, repository_id__isnull=False).order_by("id")
    repos = {r.pk: r for r in Repository.objects.select_related("owner")}
    by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in qs.iterator(chunk_size=5000):
        row = _row(event, repos.get(event.repository_id or -1))
        key = row["created_at"].strftime("%Y-%m")
        if month is None or key == month:
            by_month[key].append(row)
    for row in _download_rows(repos):
        key = row["created_at"].strftime("%Y-%m")
        if month is None or key == month:
            by_month[key].append(row)
    existing = {
        p.parent.name.removeprefix("month=")
        for p in store.events_dir(base).glob("platform=nbopen/month=*/platform.parquet")
    }
    for stale in existing - set(by_month):
        if month is None or stale == month:
            store.event_file("nbopen", stale, "platform", base).unlink(missing_ok=True)
    total = 0
    for key, rows in by_month.items():
        table = pa.Table.from_pylist(rows, schema=store.EVENT_SCHEMA)
        store.write_atomic(store.event_file("nbopen", key, "platform", base), table)
        total += len(rows)
    return total


def affiliations() -> compute.Affiliations:
    registry = {
        (e.platform, e.login_lower): e.organization.name
        for e in RegistryEntry.objects.select_related("organization").filter(
            organization__isnull=False
        )
        if e.organization is not None
    }
    developers: dict[tuple[str, int], str] = {}
    for user_id, org_name in Membership.objects.order_by("created_at", "id").values_list(
        "user_id", "organization__name"
    ):
        developers.setdefault(("nbopen", user_id), org_name)
    kinds = dict(Organization.objects.values_list("name", "kind"))
    return compute.Affiliations(registry=registry, org_kinds=kinds, developers=developers)


def compute_months(
    *,
    month: str | None = None,
    base: Path | None = None,
    memory_limit: str = "4GB",
    tolerance: float = DEFAULT_TOLERANCE,
    engine: str | None = None,
) -> dict[str, int]:
    """The monthly job: refresh the platform log, then compute ``month`` (or every month with
    events, oldest first, since each month starts from the previous month's OpenRank).
    ``engine`` overrides ``NBOPEN_ANALYTICS_ENGINE`` (see ``compute.compute_month``)."""
    if month is not None:
        store.check_month(month)
    sync_platform_events(base=base)
    ctx = affiliations()
    if month is not None:
        months = [month]
    else:
        # Every month from the first to the last with events, gaps included, so OpenRank's
        # month-to-month attenuation carries through quiet months.
        seen = store.event_months(base)
        months = []
        if seen:
            current = seen[0]
            while current <= seen[-1]:
                months.append(current)
                current = compute.shift_month(current, 1)
    result = {}
    for m in months:
        result[m] = compute.compute_month(
            m, ctx, base=base, memory_limit=memory_limit, tolerance=tolerance, engine=engine
        )
        log.info("analytics: %s → %d metric rows", m, result[m])
    return result


def previous_month(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return compute.shift_month(now.strftime("%Y-%m"), -1)
