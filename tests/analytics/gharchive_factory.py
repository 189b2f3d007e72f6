"""Writes GH Archive–format hour files with realistic event shapes (as GitHub's Events API
and gharchive.org serve them: ``id, type, actor, repo, org, payload, public, created_at``)."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any


@dataclass
class Account:
    id: int
    login: str

    def as_actor(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "login": self.login,
            "display_login": self.login,
            "gravatar_id": "",
            "url": f"https://api.github.com/users/{self.login}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{self.id}?",
        }

    def as_user(self) -> dict[str, Any]:
        return {"login": self.login, "id": self.id, "type": "User", "site_admin": False}


@dataclass
class Repo:
    id: int
    name: str  # owner/name
    org: Account | None = None


@dataclass
class Item:
    """An issue or pull request."""

    id: int
    number: int
    author: Account
    created_at: datetime
    is_pull: bool


@dataclass
class Archive:
    events: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 30_000_000_000
    next_item: int = 1_000_000

    def _event(
        self, etype: str, actor: Account, repo: Repo, at: datetime, payload: dict[str, Any]
    ) -> dict[str, Any]:
        self.next_id += 1
        event: dict[str, Any] = {
            "id": str(self.next_id),
            "type": etype,
            "actor": actor.as_actor(),
            "repo": {
                "id": repo.id,
                "name": repo.name,
                "url": f"https://api.github.com/repos/{repo.name}",
            },
            "payload": payload,
            "public": True,
            "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if repo.org is not None:
            event["org"] = {
                "id": repo.org.id,
                "login": repo.org.login,
                "gravatar_id": "",
                "url": f"https://api.github.com/orgs/{repo.org.login}",
                "avatar_url": f"https://avatars.githubusercontent.com/u/{repo.org.id}?",
            }
        self.events.append(event)
        return event

    def _issue(self, item: Item, repo: Repo, state: str = "open") -> dict[str, Any]:
        body: dict[str, Any] = {
            "url": f"https://api.github.com/repos/{repo.name}/issues/{item.number}",
            "id": item.id,
            "number": item.number,
            "title": f"Item {item.number}",
            "user": item.author.as_user(),
            "state": state,
            "comments": 0,
            "created_at": item.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "author_association": "CONTRIBUTOR",
        }
        if item.is_pull:
            body["pull_request"] = {
                "url": f"https://api.github.com/repos/{repo.name}/pulls/{item.number}"
            }
        return body

    def _pull(self, item: Item, repo: Repo, *, merged: bool = False) -> dict[str, Any]:
        return {
            "url": f"https://api.github.com/repos/{repo.name}/pulls/{item.number}",
            "id": item.id,
            "number": item.number,
            "state": "closed" if merged else "open",
            "title": f"PR {item.number}",
            "user": item.author.as_user(),
            "created_at": item.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "merged": merged,
            "merged_at": item.created_at.strftime("%Y-%m-%dT%H:%M:%SZ") if merged else None,
            "head": {"ref": "feature", "sha": "0" * 40},
            "base": {"ref": "main", "sha": "1" * 40},
        }

    def open_issue(self, actor: Account, repo: Repo, at: datetime) -> Item:
        self.next_item += 1
        item = Item(self.next_item, self.next_item % 1000, actor, at, is_pull=False)
        self._event(
            "IssuesEvent", actor, repo, at, {"action": "opened", "issue": self._issue(item, repo)}
        )
        return item

    def close_issue(self, actor: Account, repo: Repo, item: Item, at: datetime) -> None:
        self._event(
            "IssuesEvent",
            actor,
            repo,
            at,
            {"action": "closed", "issue": self._issue(item, repo, "closed")},
        )

    def comment(self, actor: Account, repo: Repo, item: Item, at: datetime) -> None:
        self.next_item += 1
        self._event(
            "IssueCommentEvent",
            actor,
            repo,
            at,
            {
                "action": "created",
                "issue": self._issue(item, repo),
                "comment": {
                    "id": self.next_item,
                    "user": actor.as_user(),
                    "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "body": "looks good",
                },
            },
        )

    def open_pull(self, actor: Account, repo: Repo, at: datetime) -> Item:
        self.next_item += 1
        item = Item(self.next_item, self.next_item % 1000, actor, at, is_pull=True)
        self._event(
            "PullRequestEvent",
            actor,
            repo,
            at,
            {"action": "opened", "number": item.number, "pull_request": self._pull(item, repo)},
        )
        return item

    def merge_pull(self, actor: Account, repo: Repo, item: Item, at: datetime) -> None:
        self._event(
            "PullRequestEvent",
            actor,
            repo,
            at,
            {
                "action": "closed",
                "number": item.number,
                "pull_request": self._pull(item, repo, merged=True),
            },
        )

    def review_comment(self, actor: Account, repo: Repo, item: Item, at: datetime) -> None:
        self.next_item += 1
        self._event(
            "PullRequestReviewCommentEvent",
            actor,
            repo,
            at,
            {
                "action": "created",
                "comment": {"id": self.next_item, "user": actor.as_user(), "body": "nit"},
                "pull_request": self._pull(item, repo),
            },
        )

    def push(self, actor: Account, repo: Repo, at: datetime, commits: int = 1) -> None:
        self._event(
            "PushEvent",
            actor,
            repo,
            at,
            {
                "repository_id": repo.id,
                "push_id": self.next_id,
                "size": commits,
                "distinct_size": commits,
                "ref": "refs/heads/main",
                "head": "a" * 40,
                "before": "b" * 40,
                "commits": [
                    {"sha": f"{i:040x}", "author": {"name": actor.login}, "message": "x"}
                    for i in range(commits)
                ],
            },
        )

    def star(self, actor: Account, repo: Repo, at: datetime) -> None:
        self._event("WatchEvent", actor, repo, at, {"action": "started"})

    def fork(self, actor: Account, repo: Repo, at: datetime) -> None:
        self._event(
            "ForkEvent",
            actor,
            repo,
            at,
            {"forkee": {"id": repo.id + 10_000, "full_name": f"{actor.login}/x"}},
        )

    def write_hours(self, folder: Path) -> list[Path]:
        """One ``YYYY-MM-DD-H.json.gz`` per hour that has events, events in time order."""
        folder.mkdir(parents=True, exist_ok=True)
        hours: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in sorted(self.events, key=lambda e: e["created_at"]):
            at = datetime.strptime(event["created_at"], "%Y-%m-%dT%H:%M:%SZ")
            hours[f"{at:%Y-%m-%d}-{at.hour}"].append(event)
        paths = []
        for hour, events in sorted(hours.items()):
            path = folder / f"{hour}.json.gz"
            with gzip.open(path, "wt", encoding="utf-8") as fh:
                for event in events:
                    fh.write(json.dumps(event) + "\n")
            paths.append(path)
        return paths


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2024, month, day, hour, minute)


__all__ = ["Account", "Archive", "Item", "Repo", "at", "timedelta"]
