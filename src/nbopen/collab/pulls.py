"""Pull requests: opening one from a branch (of the repository or of a fork) or as the Hub's
``refs/pr/N``, following its head, its diff and commits, reviews, and the merge.

The base repository always keeps ``refs/pull/N/head`` at the head's commit (copied from the
fork when the head lives there), so diffs, merges and review anchors are computed in one
repository and survive a deleted fork. Model and dataset repositories also get the Hub's
``refs/pr/N``, where Hub clients commit (``create_commit(create_pr=True)``). The merge itself
is :func:`nbopen.repos.writes.merges.merge`: the one write service moves the base branch.
Protected branches refuse a merge in :func:`merge_pull` (``protection.check_merge`` at the
head being merged).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from nbopen.access.policy import Level, Principal, repo_level, require_repo
from nbopen.accounts.models import User
from nbopen.collab import closing, protection, threads
from nbopen.collab.models import Review, ReviewComment, Thread
from nbopen.core import events, tasks
from nbopen.core.errors import InvalidInput, NotFound, PermissionDenied
from nbopen.core.models import Event
from nbopen.repos.git import commit as gitcommit
from nbopen.repos.git import merge as gitmerge
from nbopen.repos.git import read
from nbopen.repos.models import Repository
from nbopen.repos.writes import merges
from nbopen.repos.writes.merges import MergeConflict, NotFastForward, RefConflict, Strategy

HUB_TYPES = {Repository.Type.MODEL, Repository.Type.DATASET}
__all__ = ["MergeConflict", "NotFastForward", "RefConflict", "Strategy"]


class AlreadyMerged(InvalidInput):
    """The pull request was merged (or closed) meanwhile: the second of two racing merges."""


@transaction.atomic
def open_pull(
    *,
    actor: Principal,
    repo: Repository,
    title: str,
    body: str = "",
    head_repo: Repository | None = None,
    head_branch: str = "",
    base_branch: str = "",
) -> Thread:
    """A pull request of ``head_repo``'s ``head_branch`` (``repo`` itself or a fork of it)
    into ``base_branch`` (default: the default branch). Without a head branch on a model or
    dataset repository: the Hub's empty pull request on ``refs/pr/N``, at the base's head."""
    base_branch = base_branch or repo.default_branch
    base_head = gitcommit.branch_head(repo.git_path, base_branch)
    if base_head is None:
        raise InvalidInput(f"The base branch {base_branch} does not exist")
    fields: dict[str, Any] = {"base_branch": base_branch, "head_repository": repo}
    if not head_branch:
        if repo.type not in HUB_TYPES:
            raise InvalidInput("A pull request needs a head branch")
    else:
        head_repo = head_repo or repo
        if head_repo.pk != repo.pk and head_repo.forked_from_id != repo.pk:
            raise InvalidInput("The head must be a branch of this repository or of a fork")
        require_repo(actor, head_repo, Level.READ)
        if gitcommit.branch_head(head_repo.git_path, head_branch) is None:
            raise InvalidInput(f"The head branch {head_branch} does not exist")
        if head_repo.pk == repo.pk and head_branch == base_branch:
            raise InvalidInput("The head and base branches are the same")
        fields.update(head_repository=head_repo, head_ref=head_branch)
    thread = threads.create_thread(
        actor=actor, repo=repo, title=title, body=body, kind=Thread.Kind.PULL, pull_fields=fields
    )
    if not head_branch:
        thread.head_ref = merges.hub_pr_ref(thread.number)
        merges.open_hub_pr_ref(repo=repo, actor=actor.user, number=thread.number, target=base_head)
    sha = merges.keep_pull_head(
        repo=repo, number=thread.number, head_repo=head_repo or repo, head_ref=thread.head_ref
    )
    thread.head_sha = sha or ""
    thread.save(update_fields=["head_ref", "head_sha"])
    return thread


def head_of(thread: Thread) -> str | None:
    """The pull request's head commit in the base repository: its head ref itself when it
    lives there (a branch, or the Hub's ``refs/pr/N``), else ``refs/pull/N/head``."""
    git = thread.repository.git_path
    if thread.head_repository_id == thread.repository_id and thread.head_ref:
        sha = gitcommit.branch_head(git, thread.head_ref)
        if sha is not None:
            return sha
    return gitcommit.ref_target(git, merges.pull_ref(thread.number))


def hub_commit_target(
    *,
    actor: Principal,
    repo: Repository,
    revision: str,
    create_pr: bool,
    title: str,
    description: str,
) -> Thread | None:
    """Where a Hub commit goes when it is a pull request's: with ``create_pr`` a new pull
    request against ``revision`` (its ``refs/pr/N``), for ``revision="refs/pr/N"`` that open
    pull request, if the actor may push to it (its author or a writer); None for a plain
    commit to a branch (the caller needs write then)."""
    if create_pr:
        return open_pull(
            actor=actor,
            repo=repo,
            title=title or "Upload files",
            body=description,
            base_branch=revision,
        )
    if not revision.startswith("refs/pr/"):
        return None
    number = revision.removeprefix("refs/pr/")
    thread = (
        Thread.objects.select_related("repository", "head_repository")
        .filter(repository=repo, number=int(number) if number.isdigit() else -1)
        .first()
    )
    require_repo(actor, repo, Level.READ)
    if thread is None or thread.head_ref != revision:
        raise NotFound(f"Invalid rev id: {revision}")
    if not may_push_to_hub_pr(actor, thread):
        raise PermissionDenied(f"You cannot push to {revision}")
    return thread


def may_push_to_hub_pr(actor: Principal, thread: Thread) -> bool:
    """Who may commit to ``refs/pr/N``: its author and the repository's writers."""
    if actor.user is None or actor.scope == "read" or thread.state != Thread.State.OPEN:
        return False
    return thread.author_id == actor.user.pk or repo_level(actor, thread.repository) >= Level.WRITE


def sync_head(thread: Thread, actor: User | None = None) -> bool:
    """Follow the head after a push: move ``refs/pull/N/head`` and put a ``commit`` entry on
    the timeline for each new commit (a force-push loses nothing already recorded)."""
    if thread.state != Thread.State.OPEN or thread.head_repository is None:
        return False
    new = merges.keep_pull_head(
        repo=thread.repository,
        number=thread.number,
        head_repo=thread.head_repository,
        head_ref=thread.head_ref,
    )
    return _record_head(thread, actor, new)


def _follow(thread: Thread, actor: User | None) -> str | None:
    """:func:`sync_head`, returning the head it followed (:func:`head_of` without asking git
    again: the merge needs it and every git call is ~2–3 ms of the merge's answer)."""
    if thread.state != Thread.State.OPEN or thread.head_repository is None:
        return head_of(thread)
    new = merges.keep_pull_head(
        repo=thread.repository,
        number=thread.number,
        head_repo=thread.head_repository,
        head_ref=thread.head_ref,
    )
    _record_head(thread, actor, new)
    return new if new is not None else head_of(thread)


def _record_head(thread: Thread, actor: User | None, new: str | None) -> bool:
    old = thread.head_sha
    if new is None or new == old:
        return False
    # Whoever moves the row's head_sha records the commits: the committing request and the
    # push listener's job may both get here, and each commit is announced once.
    if not Thread.objects.filter(pk=thread.pk, head_sha=old).update(
        head_sha=new, updated_at=timezone.now()
    ):
        thread.refresh_from_db(fields=["head_sha"])
        return False
    git = thread.repository.git_path
    since = old if old and gitmerge.is_ancestor(git, old, new) else _base_sha(thread)
    for commit in gitmerge.commits_between(git, since, new, 100) if since else []:
        threads.timeline(
            thread,
            "commit",
            actor,
            oid=commit.sha,
            subject=commit.title,
            author=commit.author_name,
        )
    thread.head_sha = new
    return True


def sync_after_push(event_id: int) -> None:
    """Background job after a push: every open pull request whose head moved follows it."""
    event = Event.objects.filter(pk=event_id).first()
    if event is None or event.repository_id is None:
        return
    refs = {str(u.get("ref", "")) for u in event.payload.get("refs", [])}
    actor = User.objects.filter(pk=event.actor_id).first() if event.actor_id else None
    open_pulls = Thread.objects.select_related("repository", "head_repository").filter(
        head_repository_id=event.repository_id, kind=Thread.Kind.PULL, state=Thread.State.OPEN
    )
    for thread in open_pulls:
        if gitcommit.qualify(thread.head_ref) in refs:
            sync_head(thread, actor)


def on_push(event: Event) -> None:
    tasks.defer(sync_after_push, event.pk)


def connect() -> None:
    events.listen("collab.pulls", ("repo.push",), on_push)


def _base_sha(thread: Thread) -> str | None:
    return gitcommit.branch_head(thread.repository.git_path, thread.base_branch)


# Entries keyed by commit ids are never wrong, only unused once a side moves.
PAIR_CACHE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Changes:
    base: str | None
    head: str | None
    merge_base: str | None
    diff: str
    truncated: bool
    commits: list[read.Commit]
    conflicts: list[str]


def changes(thread: Thread, *, with_diff: bool = True) -> Changes:
    """The pull request's commits, diff (from the merge base) and conflicting files.

    What git answers for one (base, head) pair never changes: the merge base, the commits
    and the merge-tree's conflicts are cached by the two commit ids, so a pull request page
    runs no ``merge-tree`` until the base or the head moves (issue 14: every view ran it)."""
    git = thread.repository.git_path
    base, head = _base_sha(thread), head_of(thread)
    if thread.state == Thread.State.MERGED and thread.merge_commit:
        base = gitcommit.ref_target(git, f"{thread.merge_commit}^1") or base
    if base is None or head is None:
        return Changes(base, head, None, "", False, [], [])
    pair = f"{thread.repository_id}:{base}:{head}"
    mb, commits = _pair(thread, base, head)
    diff, truncated = gitmerge.diff_text(git, mb or base, head) if with_diff else ("", False)
    conflicts: list[str] = []
    if thread.state == Thread.State.OPEN and mb != head:
        conflicts = cache.get(f"pull-conflicts:{pair}")
        if conflicts is None:
            conflicts = list(gitmerge.merge_tree(git, base, head).conflicts)
            cache.set(f"pull-conflicts:{pair}", conflicts, PAIR_CACHE_SECONDS)
    return Changes(base, head, mb, diff, truncated, commits, conflicts)


def _pair(thread: Thread, base: str, head: str) -> tuple[str | None, list[read.Commit]]:
    """(merge base, commits of head not in base), cached by the two commit ids."""
    key = f"pull-pair:{thread.repository_id}:{base}:{head}"
    known = cache.get(key)
    if known is None:
        git = thread.repository.git_path
        mb = gitmerge.merge_base(git, base, head)
        known = (mb, gitmerge.commits_between(git, base, head) if mb else [])
        cache.set(key, known, PAIR_CACHE_SECONDS)
    return known[0], list(known[1])


def diff_of(thread: Thread, found: Changes) -> tuple[str, bool]:
    """The diff text of ``found`` (from :func:`changes` called without it): (text, cut)."""
    if found.base is None or found.head is None:
        return "", False
    return gitmerge.diff_text(
        thread.repository.git_path, found.merge_base or found.base, found.head
    )


def squash_message(thread: Thread, commits: list[read.Commit], merger: User) -> str:
    """``Title (#N)``, the squashed commits' subjects, and a ``Co-authored-by`` line for every
    other author (theirs and any the commits already carried), as GitHub and Gitea write."""
    lines = [f"{thread.title} (#{thread.number})", ""]
    lines += [f"* {c.title}" for c in commits]
    co: list[str] = []
    for commit in commits:
        if commit.author_email != (merger.email or f"{merger.username}@users.nbopen"):
            co.append(f"Co-authored-by: {commit.author_name} <{commit.author_email}>")
        co += [
            line.strip()
            for line in commit.message.splitlines()
            if line.lower().startswith("co-authored-by:")
        ]
    unique = list(dict.fromkeys(co))
    return "\n".join(lines + (["", *unique] if unique else [])).rstrip() + "\n"


def merge_pull(
    *,
    actor: Principal,
    thread: Thread,
    strategy: Strategy = Strategy.MERGE,
    comment: str = "",
    expected_head: str | None = None,
) -> str:
    """Merge the pull request (writers only); returns the base branch's new head.

    Raises :class:`MergeConflict` (with the files), :class:`NotFastForward`,
    :class:`RefConflict` (the base moved under a compare-and-swap, or the head moved since
    ``expected_head``), :class:`AlreadyMerged` for the loser of two racing merges.
    """
    user = threads.participant(actor, thread.repository)
    require_repo(actor, thread.repository, Level.WRITE)
    if not thread.is_pull:
        raise InvalidInput("Only pull requests can be merged")
    head = _follow(thread, user)
    if head is None:
        raise InvalidInput("The pull request's head is gone")
    protection.check_merge(thread, actor, head)  # at the head being merged
    if expected_head is not None and head != expected_head:
        raise RefConflict("The pull request's head moved; review it again")
    commits: list[read.Commit] = []
    if strategy is Strategy.SQUASH:  # the message names the commits' authors
        base = _base_sha(thread)
        commits = _pair(thread, base, head)[1] if base else []
        message = squash_message(thread, commits, user)
    else:
        source = thread.head_ref
        if thread.head_repository is not None and thread.head_repository_id != thread.repository_id:
            source = f"{thread.head_repository.full_name}:{thread.head_ref}"
        message = f"Merge pull request #{thread.number} from {source}\n\n{thread.title}\n"

    def still_mergeable() -> None:
        current = Thread.objects.filter(pk=thread.pk).values_list("state", flat=True).first()
        if current != Thread.State.OPEN:
            raise AlreadyMerged(f"Pull request #{thread.number} is already {current}")

    def merged(sha: str) -> None:
        # Under the base branch's lock, before the next merge may look: the state is the
        # claim (committed at once, outside any transaction of the caller's).
        now = timezone.now()
        fields = {
            "state": Thread.State.MERGED,
            "merge_commit": sha,
            "merged_at": now,
            "merged_by": user,
            "closed_at": now,
            "head_sha": head,
            "updated_at": now,
        }
        Thread.objects.filter(pk=thread.pk, state=Thread.State.OPEN).update(**fields)
        for name, value in fields.items():  # the caller's object, without a re-read
            setattr(thread, name, value)

    new, old = merges.merge(
        repo=thread.repository,
        actor=user,
        base_branch=thread.base_branch,
        head_sha=head,
        strategy=strategy,
        message=message,
        still_mergeable=still_mergeable,
        merged=merged,
        announce=False,
    )
    with transaction.atomic():
        if comment.strip():
            threads.comment_add(actor=actor, thread=thread, body=comment)
        threads.timeline(thread, "status-change", user, status="merged", oid=new)
        # The rest runs after the answer: the issues the body closes, and what the event
        # log's listeners need (the push and the merge as events: webhooks, notifications,
        # search, scanning, analytics) — as a git push's effects already do.
        tasks.defer(after_merge, thread.pk, user.pk, old, new)
    return new


def after_merge(thread_id: int, user_id: int, old: str, new: str) -> None:
    """Background job after a merge: the issues the pull request's body closes (``fixes
    #N``, when it merged into the default branch), the base branch's push (``repo.push``)
    and the ``pull.merge`` event, in that order. A retry closes nothing twice (closed
    issues stay closed) and records the events again."""
    thread = Thread.objects.select_related("repository").filter(pk=thread_id).first()
    user = User.objects.filter(pk=user_id).first()
    if thread is None:
        return
    if thread.base_branch == thread.repository.default_branch:
        closing.close_named(
            repo_id=thread.repository_id,
            actor=user,
            text=threads.opening(thread).body,
            source=f"#{thread.number}",
        )
    merges.announce_merge(
        repo_id=thread.repository_id, actor=user, base_branch=thread.base_branch, old=old, new=new
    )
    commits = _pair(thread, old, thread.head_sha)[1] if thread.head_sha else []
    events.record(
        "pull.merge",
        actor=user,
        repository=thread.repository,
        payload=threads.event_payload(thread, merged=True, commits=len(commits)),
    )


@transaction.atomic
def review(
    *,
    actor: Principal,
    thread: Thread,
    state: str,
    body: str = "",
    comments: list[dict[str, Any]] | None = None,
) -> Review:
    """A review at the head: comment, approve or request changes, with line comments
    ``{"path", "line", "body"}`` anchored to the head commit (the new side of the diff)."""
    user = threads.participant(actor, thread.repository)
    if not thread.is_pull:
        raise InvalidInput("Only pull requests are reviewed")
    if state not in Review.State.values:
        raise InvalidInput("The review state must be commented, approved or changes_requested")
    if state != Review.State.COMMENTED and thread.author_id == user.pk:
        raise PermissionDenied(
            "Authors cannot approve or request changes on their own pull request"
        )
    head = head_of(thread)
    if head is None:
        raise InvalidInput("The pull request's head is gone")
    rev = Review.objects.create(
        thread=thread, author=user, state=state, body=threads.clean_body(body), commit_sha=head
    )
    events.record(
        "pull.review",
        actor=user,
        repository=thread.repository,
        payload=threads.event_payload(thread, review_id=rev.pk, state=state),
    )
    for spec in comments or []:
        review_comment(
            actor=actor,
            review=rev,
            path=spec.get("path"),
            line=spec.get("line"),
            body=spec.get("body"),
        )
    return rev


def review_comment(
    *,
    actor: Principal,
    review: Review,
    path: object,
    line: object,
    body: object,
    in_reply_to: ReviewComment | None = None,
) -> ReviewComment:
    """A line comment of ``review`` on ``path:line`` at the review's commit."""
    user = threads.participant(actor, review.thread.repository)
    thread = review.thread
    if in_reply_to is not None:
        path, line = in_reply_to.path, in_reply_to.line
    if not isinstance(path, str) or not isinstance(line, int) or line < 1:
        raise InvalidInput("A line comment needs a path and a line number")
    text = line_at(thread.repository, review.commit_sha, path, line)
    if text is None:
        raise NotFound(f"{path} has no line {line} in this pull request's head")
    comment = ReviewComment.objects.create(
        review=review,
        thread=thread,
        author=user,
        commit_sha=review.commit_sha,
        path=path,
        line=line,
        line_text=text,
        body=threads.clean_body(body, required=True),
        in_reply_to=in_reply_to,
    )
    events.record(
        "pull.review_comment",
        actor=user,
        repository=thread.repository,
        payload=threads.event_payload(thread, comment_id=comment.pk, review_id=review.pk),
    )
    return comment


def line_at(repo: Repository, sha: str, path: str, line: int) -> str | None:
    """Line ``line`` (1-based) of ``path`` at ``sha``, or None when there is no such line."""
    entry = read.entry_at(repo.git_path, sha, path)
    if entry is None or entry.type != "blob":
        return None
    lines = (
        read.read_blob(repo.git_path, entry.oid, limit=8 << 20)
        .decode("utf-8", "replace")
        .split("\n")
    )
    return lines[line - 1] if line <= len(lines) else None


def is_outdated(comment: ReviewComment, head: str | None) -> bool:
    """The head no longer has the commented text at that line (changed, moved or deleted)."""
    if head is None or head == comment.commit_sha:
        return False
    return line_at(comment.thread.repository, head, comment.path, comment.line) != comment.line_text


@transaction.atomic
def request_review(*, actor: Principal, thread: Thread, usernames: list[str]) -> list[User]:
    """Ask users who can read the repository to review ``thread`` (author or writers); the
    ``pull.review_request`` event reaches their notifications."""
    if not thread.is_pull:
        raise InvalidInput("Only pull requests are reviewed")
    user = threads._require_author_or_writer(actor, thread)
    names = sorted({n.strip().lower() for n in usernames if n.strip()})
    found = [u for n in names if (u := User.objects.filter(username__iexact=n).first())]
    if len(found) != len(names):
        raise InvalidInput("Unknown users among the reviewers")
    for each in found:
        if repo_level(Principal(user=each), thread.repository) < Level.READ:
            raise InvalidInput(f"{each.username} cannot read this repository")
    threads.timeline(thread, "review-requested", user, reviewers=[u.username for u in found])
    events.record(
        "pull.review_request",
        actor=user,
        repository=thread.repository,
        payload=threads.event_payload(thread, reviewer_ids=[u.pk for u in found]),
    )
    return found
