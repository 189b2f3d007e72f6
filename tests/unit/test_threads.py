"""Threads, pull requests and merges, called as every front door calls them: one numbered
sequence, permissions, events in OpenDigger's kinds, ``fixes #N``, merge strategies, racing
merges, conflicts, reviews that become outdated."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from django.test import TestCase
from django.utils import timezone

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.accounts.services import user_create
from nbopen.analytics import pipeline, store
from nbopen.analytics.pipeline import KIND_MAP
from nbopen.collab import pulls, references, threads
from nbopen.collab.models import Thread, TimelineEntry
from nbopen.core.errors import InvalidInput, NotFound, PermissionDenied
from nbopen.core.models import Event
from nbopen.repos.forks import repo_fork
from nbopen.repos.git import read
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_create
from nbopen.repos.writes import commits, refs

pytestmark = pytest.mark.django_db


def _user(name: str) -> User:
    return user_create(username=name, email=f"{name}@example.org", password="pw-Secret-123")


@pytest.fixture
def owner() -> User:
    return _user("towner")


@pytest.fixture
def other() -> User:
    return _user("tother")


def _repo(user: User, name: str, type_: str = "code", private: bool = False) -> Repository:
    repo = repo_create(
        actor=Principal(user=user), owner=None, name=name, type=type_, private=private, empty=True
    )
    commits.commit(
        repo=repo,
        actor=user,
        branch="main",
        operations=[commits.AddBytes("a.txt", b"one\ntwo\nthree\n")],
        message="first",
        parent=None,
    )
    return repo


def _write(repo: Repository, user: User, branch: str, path: str, data: bytes, msg: str) -> str:
    """A commit, with the jobs it defers run as after a real transaction's commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        sha, _ = commits.commit(
            repo=repo,
            actor=user,
            branch=branch,
            operations=[commits.AddBytes(path, data)],
            message=msg,
        )
    return sha


def _merge(thread: Thread, user: User, strategy: str = "merge") -> str:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return pulls.merge_pull(
            actor=Principal(user=user), thread=thread, strategy=pulls.Strategy(strategy)
        )


def _file(repo: Repository, rev: str, path: str) -> bytes | None:
    sha = read.resolve(repo.git_path, rev)
    assert sha is not None
    entry = read.entry_at(repo.git_path, sha, path)
    return None if entry is None else read.read_blob(repo.git_path, entry.oid)


def test_issues_and_pulls_share_numbers_and_record_opendigger_events(
    owner: User, other: User
) -> None:
    repo = _repo(owner, "t-seq")
    me, them = Principal(user=owner), Principal(user=other)
    issue = threads.create_thread(actor=them, repo=repo, title="Bug", body="It breaks")
    refs.create_branch(repo=repo, actor=owner, branch="feature", target=_head(repo))
    _write(repo, owner, "feature", "b.txt", b"b\n", "add b")
    pull = pulls.open_pull(actor=me, repo=repo, title="Fix", body="fixes #1", head_branch="feature")
    assert (issue.number, pull.number) == (1, 2)
    comment = threads.comment_add(actor=me, thread=issue, body="see #2")
    kinds = list(Event.objects.filter(repository_id=repo.pk).values_list("kind", flat=True))
    assert {"issue.open", "pull.open", "issue.comment"} <= set(kinds)
    assert all(k in KIND_MAP for k in kinds if k.startswith(("issue.", "pull.")))
    ev = Event.objects.filter(kind="issue.comment").first()
    assert ev is not None and ev.payload["comment_id"] == comment.pk
    assert ev.payload["issue_author"] == "tother" and ev.payload["issue_number"] == 1
    # ``see #2`` shows on #2's timeline
    assert TimelineEntry.objects.filter(thread=pull, kind="cross-reference").exists()


def test_permissions(owner: User, other: User) -> None:
    repo = _repo(owner, "t-perm")
    secret = _repo(owner, "t-secret", private=True)
    them = Principal(user=other)
    with pytest.raises(PermissionDenied):
        threads.create_thread(actor=Principal.anonymous(), repo=repo, title="x")
    with pytest.raises(NotFound):
        threads.create_thread(actor=them, repo=secret, title="x")
    issue = threads.create_thread(actor=Principal(user=owner), repo=repo, title="Mine")
    with pytest.raises(PermissionDenied):
        threads.set_state(actor=them, thread=issue, state="closed")
    with pytest.raises(PermissionDenied):
        threads.set_flags(actor=them, thread=issue, locked=True)
    threads.set_flags(actor=Principal(user=owner), thread=issue, locked=True)
    with pytest.raises(PermissionDenied):
        threads.comment_add(actor=them, thread=issue, body="hello")
    with pytest.raises(InvalidInput):
        threads.create_thread(actor=them, repo=repo, title="   ")


def test_edit_history_hide_rename_close_reopen(owner: User, other: User) -> None:
    repo = _repo(owner, "t-edit")
    me = Principal(user=owner)
    issue = threads.create_thread(actor=Principal(user=other), repo=repo, title="T", body="v1")
    first = threads.opening(issue)
    threads.comment_edit(actor=Principal(user=other), thread=issue, comment_id=first.pk, body="v2")
    assert [e.body for e in threads.edit_history(first)] == ["v1"]
    with pytest.raises(PermissionDenied):  # a reader who is not the author
        threads.comment_edit(
            actor=Principal(user=_user("tthird")), thread=issue, comment_id=first.pk, body="x"
        )
    threads.comment_hide(actor=me, thread=issue, comment_id=first.pk)
    threads.rename(actor=me, thread=issue, title="T2")
    threads.set_state(actor=me, thread=issue, state="closed", reason="not_planned")
    issue.refresh_from_db()
    assert (issue.title, issue.state, issue.state_reason) == ("T2", "closed", "not_planned")
    threads.set_state(actor=me, thread=issue, state="open")
    kinds = list(Event.objects.filter(repository_id=repo.pk).values_list("kind", flat=True))
    assert "issue.close" in kinds and "issue.reopen" in kinds


def test_labels_and_assignees(owner: User, other: User) -> None:
    repo = _repo(owner, "t-labels")
    me = Principal(user=owner)
    issue = threads.create_thread(actor=me, repo=repo, title="T")
    threads.label_create(actor=me, repo=repo, name="bug")
    threads.set_labels(actor=me, thread=issue, names=["BUG"])
    assert [label.name for label in issue.labels.all()] == ["bug"]
    with pytest.raises(InvalidInput):
        threads.set_labels(actor=me, thread=issue, names=["nope"])
    threads.set_assignees(actor=me, thread=issue, usernames=["tother"])
    assert list(issue.assignees.values_list("username", flat=True)) == ["tother"]
    assert list(threads.thread_list(actor=me, repo=repo, label="bug")) == [issue]


def _head(repo: Repository, branch: str = "main") -> str:
    sha = refs.branch_head(repo, branch)
    assert sha is not None
    return sha


def test_closing_keywords_on_a_push_to_the_default_branch(owner: User) -> None:
    repo = _repo(owner, "t-close")
    me = Principal(user=owner)
    one = threads.create_thread(actor=me, repo=repo, title="one")
    two = threads.create_thread(actor=me, repo=repo, title="two")
    three = threads.create_thread(actor=me, repo=repo, title="three")
    refs.create_branch(repo=repo, actor=owner, branch="side", target=_head(repo))
    _write(repo, owner, "side", "x", b"x", "Fixes #3")  # not the default branch: stays open
    _write(repo, owner, "main", "c.txt", b"c", "修复 #1 and closes #2")
    for thread, state in ((one, "closed"), (two, "closed"), (three, "open")):
        thread.refresh_from_db()
        assert thread.state == state, thread.number
    assert references.parse_closing("关闭 #7, resolved org/r#8") == [(None, 7), ("org/r", 8)]


@pytest.mark.parametrize("strategy", ["merge", "squash", "rebase"])
def test_merge_strategies(owner: User, other: User, strategy: str) -> None:
    repo = _repo(owner, f"t-merge-{strategy}")
    me = Principal(user=owner)
    fixed = threads.create_thread(actor=me, repo=repo, title="bug")
    refs.create_branch(repo=repo, actor=owner, branch="f", target=_head(repo))
    _write(repo, other, "f", "f.txt", b"feature\n", "add f\n\nCo-authored-by: Carol <c@x.org>")
    body = f"closes #{fixed.number}"
    pull = pulls.open_pull(actor=me, repo=repo, title="Feature", body=body, head_branch="f")
    if strategy != "rebase":
        _write(repo, owner, "main", "m.txt", b"main moved\n", "main moves on")
    sha = _merge(pull, owner, strategy)
    assert _head(repo) == sha
    assert _file(repo, "main", "f.txt") == b"feature\n"
    commit = read.commit(repo.git_path, sha)
    assert commit is not None
    if strategy == "merge":
        assert len(commit.parents) == 2
    if strategy == "squash":
        assert len(commit.parents) == 1
        assert "Co-authored-by: tother <tother@example.org>" in commit.message
        assert "Co-authored-by: Carol <c@x.org>" in commit.message
    pull.refresh_from_db()
    fixed.refresh_from_db()
    assert (pull.state, pull.merge_commit, fixed.state) == ("merged", sha, "closed")
    ev = Event.objects.filter(kind="pull.merge", repository_id=repo.pk).first()
    assert ev is not None and ev.payload["merged"] is True
    with pytest.raises(pulls.AlreadyMerged):
        pulls.merge_pull(actor=me, thread=pull)


def test_rebase_refuses_when_not_fast_forward_and_conflicts_are_listed(owner: User) -> None:
    repo = _repo(owner, "t-conflict")
    me = Principal(user=owner)
    refs.create_branch(repo=repo, actor=owner, branch="f", target=_head(repo))
    _write(repo, owner, "f", "a.txt", b"theirs\n", "theirs")
    _write(repo, owner, "main", "a.txt", b"ours\n", "ours")
    pull = pulls.open_pull(actor=me, repo=repo, title="Clash", head_branch="f")
    assert pulls.changes(pull).conflicts == ["a.txt"]
    with pytest.raises(pulls.MergeConflict) as caught:
        pulls.merge_pull(actor=me, thread=pull, strategy=pulls.Strategy.SQUASH)
    assert caught.value.files == ["a.txt"]
    with pytest.raises(pulls.NotFastForward):
        pulls.merge_pull(actor=me, thread=pull, strategy=pulls.Strategy.REBASE)


def test_reader_cannot_merge(owner: User, other: User) -> None:
    repo = _repo(owner, "t-reader")
    refs.create_branch(repo=repo, actor=owner, branch="f", target=_head(repo))
    _write(repo, owner, "f", "z", b"z", "z")
    pull = pulls.open_pull(actor=Principal(user=other), repo=repo, title="P", head_branch="f")
    with pytest.raises(PermissionDenied):
        pulls.merge_pull(actor=Principal(user=other), thread=pull)


def test_pull_from_a_fork_follows_its_head_and_survives_the_forks_deletion(
    owner: User, other: User
) -> None:
    repo = _repo(owner, "t-upstream")
    them = Principal(user=other)
    fork = repo_fork(actor=them, source=repo)
    _write(fork, other, "main", "fork.txt", b"from fork\n", "fork work")
    pull = pulls.open_pull(
        actor=them, repo=repo, title="Contribute", head_repo=fork, head_branch="main"
    )
    assert pulls.changes(pull).commits[0].title == "fork work"
    second = _write(fork, other, "main", "fork2.txt", b"more\n", "more work")
    pull.refresh_from_db()
    assert pull.head_sha == second  # the push moved refs/pull/N/head
    assert TimelineEntry.objects.filter(thread=pull, kind="commit", data__oid=second).exists()
    fork.delete()
    pull.refresh_from_db()
    _merge(pull, owner)
    assert _file(repo, "main", "fork2.txt") == b"more\n"


def test_review_comments_become_outdated(owner: User, other: User) -> None:
    repo = _repo(owner, "t-review")
    refs.create_branch(repo=repo, actor=owner, branch="f", target=_head(repo))
    _write(repo, other, "f", "a.txt", b"one\nTWO\nthree\n", "shout")
    pull = pulls.open_pull(actor=Principal(user=other), repo=repo, title="P", head_branch="f")
    review = pulls.review(
        actor=Principal(user=owner),
        thread=pull,
        state="changes_requested",
        comments=[
            {"path": "a.txt", "line": 2, "body": "why?"},
            {"path": "a.txt", "line": 3, "body": "ok"},
        ],
    )
    with pytest.raises(NotFound):
        pulls.review_comment(
            actor=Principal(user=owner), review=review, path="a.txt", line=99, body="x"
        )
    _write(repo, other, "f", "a.txt", b"one\ntwo\nthree\n", "calm down")
    pull.refresh_from_db()
    head = pulls.head_of(pull)
    outdated = {c.line: pulls.is_outdated(c, head) for c in review.comments.all()}
    assert outdated == {2: True, 3: False}
    kinds = set(Event.objects.filter(repository_id=repo.pk).values_list("kind", flat=True))
    assert {"pull.review", "pull.review_comment"} <= kinds


def test_platform_threads_give_activity_and_openrank(
    owner: User, other: User, tmp_path: Path
) -> None:
    """``nbopen analytics compute`` reads thread events: a platform repository with an issue
    conversation and a merged pull request gets non-zero activity and OpenRank."""
    repo = _repo(owner, "t-analytics")
    me, them = Principal(user=owner), Principal(user=other)
    issue = threads.create_thread(actor=them, repo=repo, title="Question", body="how?")
    threads.comment_add(actor=me, thread=issue, body="like this")
    threads.set_state(actor=me, thread=issue, state="closed")
    refs.create_branch(repo=repo, actor=other, branch="f", target=_head(repo))
    _write(repo, other, "f", "f.txt", b"f\n", "f")
    pull = pulls.open_pull(actor=them, repo=repo, title="F", head_branch="f")
    pulls.review(
        actor=me,
        thread=pull,
        state="approved",
        comments=[{"path": "f.txt", "line": 1, "body": "ok"}],
    )
    _merge(pull, owner)
    month = timezone.now().strftime("%Y-%m")
    pipeline.compute_months(base=tmp_path, month=month, memory_limit="512MB")
    rows = duckdb.sql(
        "SELECT metric, value FROM read_parquet(?) WHERE entity_type = 'repo' "
        "AND platform = 'nbopen' AND entity_id = ?",
        params=[str(store.metrics_file(month, tmp_path)), str(repo.pk)],
    ).fetchall()
    values = dict(rows)
    assert values["activity"] > 0 and values["openrank"] > 0, values
