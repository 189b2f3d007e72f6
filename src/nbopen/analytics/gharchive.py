"""GH Archive hour files (``YYYY-MM-DD-H.json.gz``) → the event store, city events only.

Streaming: the file is read line by line through gzip and kept rows are flushed to Parquet in
chunks, so memory stays bounded whatever the file size. Idempotent: an hour file always writes
the same output file(s) ``platform=github/month=M/<hour file name>.parquet`` (atomically), so
importing it again replaces instead of adding. Resumable: finished files are recorded in
:class:`~nbopen.analytics.models.ImportedFile` and skipped next time (same name and size).

Events are kept when their repository, repository owner, organization or actor is in the city
registry (:class:`~nbopen.analytics.models.RegistryEntry`). Adding a registry entry later
needs a re-import (``--force``) of the hours that matter, since other events were not kept.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from nbopen.analytics import store

CHUNK_ROWS = 20_000


@dataclass(frozen=True)
class CityFilter:
    """Lower-cased registry logins (accounts) and ``owner/name`` strings (repositories)."""

    accounts: frozenset[str]
    repositories: frozenset[str]

    def keeps(self, event: dict[str, Any]) -> bool:
        repo = str((event.get("repo") or {}).get("name") or "").lower()
        if repo in self.repositories or repo.split("/", 1)[0] in self.accounts:
            return True
        org = str((event.get("org") or {}).get("login") or "").lower()
        actor = str((event.get("actor") or {}).get("login") or "").lower()
        return bool(org and org in self.accounts) or bool(actor and actor in self.accounts)


def _ts(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def normalise(event: dict[str, Any]) -> dict[str, Any] | None:
    """One GH Archive event as an :data:`~nbopen.analytics.store.EVENT_SCHEMA` row."""
    created = _ts(event.get("created_at"))
    actor = event.get("actor") or {}
    repo = event.get("repo") or {}
    if created is None or not isinstance(actor, dict) or not isinstance(repo, dict):
        return None
    payload = event.get("payload") or {}
    if not isinstance(payload, dict):
        payload = {}
    org = event.get("org") or {}
    etype = str(event.get("type") or "")
    row: dict[str, Any] = {
        "id": str(event.get("id") or ""),
        "type": etype,
        "action": str(payload.get("action") or ""),
        "actor_id": _int(actor.get("id")),
        "actor_login": str(actor.get("login") or ""),
        "repo_id": _int(repo.get("id")),
        "repo_name": str(repo.get("name") or ""),
        "org_id": _int(org.get("id")) if isinstance(org, dict) else None,
        "org_login": str(org.get("login") or "") if isinstance(org, dict) else "",
        "issue_id": None,
        "issue_number": None,
        "issue_author_id": None,
        "issue_author_login": "",
        "issue_created_at": None,
        "is_pull": False,
        "comment_id": None,
        "pull_merged": False,
        "commits": None,
        "private": False,  # GH Archive holds public events only
        "created_at": created,
    }
    item: Any = None
    if etype in {"IssuesEvent", "IssueCommentEvent"}:
        item = payload.get("issue")
        row["is_pull"] = isinstance(item, dict) and "pull_request" in item
    elif etype in {
        "PullRequestEvent",
        "PullRequestReviewCommentEvent",
        "PullRequestReviewEvent",
    }:
        item = payload.get("pull_request")
        row["is_pull"] = True
    if isinstance(item, dict):
        user = item.get("user") or {}
        row["issue_id"] = _int(item.get("id"))
        row["issue_number"] = _int(item.get("number")) or _int(payload.get("number"))
        row["issue_author_id"] = _int(user.get("id")) if isinstance(user, dict) else None
        row["issue_author_login"] = str(user.get("login") or "") if isinstance(user, dict) else ""
        row["issue_created_at"] = _ts(item.get("created_at"))
        if etype == "PullRequestEvent":
            row["pull_merged"] = bool(item.get("merged")) or bool(item.get("merged_at"))
    comment = payload.get("comment") if etype != "PullRequestReviewEvent" else payload.get("review")
    if isinstance(comment, dict):
        row["comment_id"] = _int(comment.get("id"))
    if etype == "PushEvent":
        commits = payload.get("size")
        if not isinstance(commits, int) and isinstance(payload.get("commits"), list):
            commits = len(payload["commits"])
        row["commits"] = commits if isinstance(commits, int) else None
    return row


class _MonthWriters:
    """Chunked Parquet writers, one per month met in the file, on temporary names."""

    def __init__(self, source: str, base: Path | None) -> None:
        self.source = source
        self.base = base
        self.buffers: dict[str, list[dict[str, Any]]] = {}
        self.writers: dict[str, tuple[pq.ParquetWriter, Path, Path]] = {}

    def add(self, row: dict[str, Any]) -> None:
        month = row["created_at"].strftime("%Y-%m")
        buffer = self.buffers.setdefault(month, [])
        buffer.append(row)
        if len(buffer) >= CHUNK_ROWS:
            self._flush(month)

    def _flush(self, month: str) -> None:
        rows = self.buffers.get(month) or []
        if not rows:
            return
        if month not in self.writers:
            final = store.event_file("github", month, self.source, self.base)
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
            writer = pq.ParquetWriter(tmp, store.EVENT_SCHEMA, compression="zstd")
            self.writers[month] = (writer, tmp, final)
        table = pa.Table.from_pylist(rows, schema=store.EVENT_SCHEMA)
        self.writers[month][0].write_table(table)
        self.buffers[month] = []

    def commit(self) -> None:
        for month in list(self.buffers):
            self._flush(month)
        for writer, tmp, final in self.writers.values():
            writer.close()
            os.replace(tmp, final)

    def abort(self) -> None:
        for writer, tmp, _ in self.writers.values():
            writer.close()
            tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class ImportResult:
    name: str
    lines: int
    kept: int
    sha256: str
    skipped: bool = False


def import_file(path: Path, city: CityFilter, *, base: Path | None = None) -> ImportResult:
    """Stream one hour file into the store; returns counts. Malformed lines are skipped."""
    source = path.name.removesuffix(".gz").removesuffix(".json")
    digest = hashlib.sha256()
    lines = kept = 0
    writers = _MonthWriters(source, base)
    try:
        with path.open("rb") as raw:
            reader: Any = _HashingReader(raw, digest)
            with gzip.open(reader, "rt", encoding="utf-8", errors="replace") as text:
                for line in text:
                    lines += 1
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue
                    if not isinstance(event, dict) or not city.keeps(event):
                        continue
                    row = normalise(event)
                    if row is None:
                        continue
                    writers.add(row)
                    kept += 1
        _remove_stale(source, set(writers.buffers), base)
        writers.commit()
    except BaseException:
        writers.abort()
        raise
    return ImportResult(path.name, lines, kept, digest.hexdigest())


def _remove_stale(source: str, months: set[str], base: Path | None) -> None:
    """A re-import that keeps fewer months (registry shrank) must not leave old outputs."""
    for old in store.events_dir(base).glob(f"platform=github/month=*/{source}.parquet"):
        if old.parent.name.removeprefix("month=") not in months:
            old.unlink()


class _HashingReader:
    """A file wrapper that hashes what gzip reads, so one pass gives data and checksum."""

    def __init__(self, raw: Any, digest: Any) -> None:
        self.raw = raw
        self.digest = digest

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.raw.read(size)
        self.digest.update(data)
        return data

    def readable(self) -> bool:
        return True
