"""Issues closed by ``fixes #N`` / ``closes #N`` / ``修复 #N`` / ``关闭 #N`` once the commit
naming them reaches the repository's default branch, whatever channel put it there.

The collab app listens to ``repo.push`` (recorded by ``repos.writes.after_update`` for git
pushes, Hub commits, web uploads and merges) and defers :func:`close_from_push`, which reads
the pushed commits' messages; a merged pull request's description is read by the merge.
"""

from __future__ import annotations

from nbopen.access.policy import Level, Principal, repo_level
from nbopen.accounts.models import User
from nbopen.collab import references, threads
from nbopen.core import events, tasks
from nbopen.core.models import Event
from nbopen.repos.git import merge as gitmerge
from nbopen.repos.git import read
from nbopen.repos.models import Repository

MAX_PUSHED_COMMITS = 200


def close_named(*, repo_id: int, actor: User | None, text: str, source: str) -> list[int]:
    """Close the issues of repository ``repo_id`` that ``text`` says it fixes (another
    repository's only when the actor may write there); returns their numbers."""
    closed = []
    for full_name, number in references.parse_closing(text)[:50]:
        target = references._target(repo_id, full_name, number)
        if target is None:
            continue
        if target.repository_id != repo_id and (
            actor is None or repo_level(Principal(user=actor), target.repository) < Level.WRITE
        ):
            continue
        if threads.close_by_reference(thread=target, actor=actor, source=source):
            closed.append(number)
    return closed


def close_from_push(event_id: int) -> None:
    """Background job: close the issues named by the commits a push brought to the default
    branch (idempotent: an issue already closed stays as it is)."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None or event.repository_id is None:
        return
    repo = Repository.objects.filter(pk=event.repository_id).first()
    if repo is None or not repo.git_path.is_dir():
        return
    actor = User.objects.filter(pk=event.actor_id).first() if event.actor_id else None
    head = f"refs/heads/{repo.default_branch}"
    for update in event.payload.get("refs", []):
        if update.get("ref") != head or not str(update.get("new", "")).strip("0"):
            continue
        old, new = str(update.get("old", "")), str(update["new"])
        if old.strip("0"):
            pushed = gitmerge.commits_between(repo.git_path, old, new, MAX_PUSHED_COMMITS)
        else:
            pushed = read.log(repo.git_path, new, limit=MAX_PUSHED_COMMITS)
        for commit in pushed:
            close_named(repo_id=repo.pk, actor=actor, text=commit.message, source=commit.sha)


def on_push(event: Event) -> None:
    if any(str(u.get("ref", "")).startswith("refs/heads/") for u in event.payload.get("refs", [])):
        tasks.defer(close_from_push, event.pk)


def connect() -> None:
    events.listen("collab.closing", ("repo.push",), on_push)
