"""Protected branches in the write service and the merge, without a server: glob rules,
the push whitelist, force and deletion refused, the merge waiting for approvals and
required checks; and the Django-free pre-receive step on its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.accounts.services import user_create
from nbopen.collab import protection, pulls, statuses
from nbopen.collab.prereceive import refusals
from nbopen.core.errors import PermissionDenied
from nbopen.repos.collaborators import collaborator_set
from nbopen.repos.git import commit as gitcommit
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_create
from nbopen.repos.writes import commits, history, refs

pytestmark = pytest.mark.django_db
ZERO = "0" * 40


def _user(name: str) -> User:
    return user_create(username=name, email=f"{name}@example.org", password="pw-Secret-123")


def _repo(user: User) -> Repository:
    repo = repo_create(
        actor=Principal(user=user), owner=None, name="guarded", type="code", empty=True
    )
    commits.commit(
        repo=repo,
        actor=user,
        branch="main",
        operations=[commits.AddBytes("a.txt", b"one\n")],
        message="first",
        parent=None,
    )
    return repo


def _put(repo: Repository, user: User, branch: str, path: str) -> str:
    sha, _ = commits.commit(
        repo=repo,
        actor=user,
        branch=branch,
        operations=[commits.AddBytes(path, b"x\n")],
        message=path,
    )
    return sha


def test_rules_refuse_direct_pushes_deletions_and_rewrites() -> None:
    owner = _user("powner")
    repo = _repo(owner)
    me = Principal(user=owner)
    protection.save_rule(actor=me, repo=repo, data={"rule_name": "main"})
    protection.save_rule(
        actor=me,
        repo=repo,
        data={
            "rule_name": "release/*",
            "enable_push": True,
            "enable_push_whitelist": True,
            "push_whitelist_usernames": ["POWNER"],
        },
    )
    with pytest.raises(protection.BranchProtected, match="direct pushes are not allowed"):
        _put(repo, owner, "main", "b.txt")
    with pytest.raises(protection.BranchProtected, match="cannot be deleted"):
        refs.delete_branch(repo=repo, actor=owner, branch="main")
    with pytest.raises(protection.BranchProtected, match="force pushes"):
        history.super_squash(repo=repo, actor=owner, branch="main", message="squash")
    start = refs.branch_head(repo, "main")
    assert start is not None
    refs.create_branch(repo=repo, actor=owner, branch="release/1", target=start)  # listed
    _put(repo, owner, "release/1", "c.txt")
    stranger = _user("pwriter")
    with pytest.raises(protection.BranchProtected):
        _put(repo, stranger, "release/1", "d.txt")  # not on the push whitelist
    _put(repo, owner, "feature", "e.txt")  # other branches are free
    assert isinstance(protection.BranchProtected("x"), PermissionDenied)


def test_merge_waits_for_approvals_and_required_checks() -> None:
    owner, reviewer = _user("mowner"), _user("mreviewer")
    repo = _repo(owner)
    me = Principal(user=owner)
    start = refs.branch_head(repo, "main")
    assert start is not None
    refs.create_branch(repo=repo, actor=owner, branch="feature", target=start)
    _put(repo, owner, "feature", "b.txt")
    pull = pulls.open_pull(actor=me, repo=repo, title="t", head_branch="feature")
    protection.save_rule(
        actor=me,
        repo=repo,
        data={
            "branch_name": "main",
            "required_approvals": 1,
            "enable_status_check": True,
            "status_check_contexts": ["ci/*"],
        },
    )
    head = pulls.head_of(pull)
    reasons = [t for t, _ in protection.merge_blockers(pull, me, head)]
    assert reasons == [
        "%(have)s of %(need)s required approvals",
        "Required status check %(context)s is not successful",
    ]
    collaborator_set(actor=me, repo=repo, user=reviewer, role="write")
    pulls.review(actor=Principal(user=reviewer), thread=pull, state="approved")
    statuses.post(actor=me, repo=repo, sha="feature", state="failure", context="ci/test")
    with pytest.raises(protection.MergeBlocked, match="ci/\\*"):
        pulls.merge_pull(actor=me, thread=pull)
    statuses.post(actor=me, repo=repo, sha="feature", state="success", context="ci/test")
    assert protection.merge_blockers(pull, me, head) == []
    pulls.merge_pull(actor=me, thread=pull)  # a merge is not a direct push


def test_only_writers_approvals_count() -> None:
    """A reader may review a public repository's pull request; the review is kept and shown,
    but neither an approval nor a change request from a reader counts for the rule."""
    owner, reader, writer = _user("aowner"), _user("areader"), _user("awriter")
    repo = _repo(owner)
    me = Principal(user=owner)
    start = refs.branch_head(repo, "main")
    assert start is not None
    refs.create_branch(repo=repo, actor=owner, branch="feature", target=start)
    _put(repo, owner, "feature", "b.txt")
    pull = pulls.open_pull(actor=me, repo=repo, title="t", head_branch="feature")
    protection.save_rule(
        actor=me,
        repo=repo,
        data={"branch_name": "main", "required_approvals": 1, "block_on_rejected_reviews": True},
    )
    rule = protection.rule_for(repo, "main")
    assert rule is not None
    head = pulls.head_of(pull)
    pulls.review(actor=Principal(user=reader), thread=pull, state="approved")
    assert pull.reviews.filter(author=reader, state="approved").exists()  # kept
    assert protection.approvals(pull, rule, head) == (0, False)
    assert [t for t, _ in protection.merge_blockers(pull, me, head)] == [
        "%(have)s of %(need)s required approvals"
    ]
    pulls.review(actor=Principal(user=reader), thread=pull, state="changes_requested")
    assert protection.approvals(pull, rule, head) == (0, False)  # not an official rejection
    pulls.review(actor=Principal(user=writer), thread=pull, state="approved")
    assert protection.approvals(pull, rule, head) == (0, False)  # not a writer yet
    collaborator_set(actor=me, repo=repo, user=writer, role="write")
    assert protection.approvals(pull, rule, head) == (1, False)
    collaborator_set(actor=me, repo=repo, user=reader, role="read")
    assert protection.approvals(pull, rule, head) == (1, False)  # a read grant: still not
    assert protection.merge_blockers(pull, me, head) == []
    pulls.merge_pull(actor=me, thread=pull)


def test_pull_refs_are_the_servers_on_every_write_path() -> None:
    """``refs/pull/*`` (pull request heads) cannot be written through the write service:
    not as a commit's branch (the Hub's commit), not as a ref (branch/tag/ref routes), not
    deleted; the server's own follower still moves it."""
    owner = _user("rowner")
    repo = _repo(owner)
    me = Principal(user=owner)
    start = refs.branch_head(repo, "main")
    assert start is not None
    refs.create_branch(repo=repo, actor=owner, branch="feature", target=start)
    head = _put(repo, owner, "feature", "b.txt")
    pull = pulls.open_pull(actor=me, repo=repo, title="t", head_branch="feature")
    ref = f"refs/pull/{pull.number}/head"
    assert gitcommit.ref_target(repo.git_path, ref) == head
    with pytest.raises(protection.BranchProtected, match="kept by the server"):
        _put(repo, owner, ref, "evil.txt")
    with pytest.raises(protection.BranchProtected, match="kept by the server"):
        refs.set_ref(repo=repo, actor=owner, ref=ref, new=start, old=head, kind=None)
    with pytest.raises(protection.BranchProtected, match="kept by the server"):
        refs.set_ref(repo=repo, actor=owner, ref="refs/pull/9/head", new=start, old=None, kind=None)
    with pytest.raises(protection.BranchProtected, match="kept by the server"):
        refs.delete_ref(repo=repo, actor=owner, ref=ref, kind="x", payload={})
    assert gitcommit.ref_target(repo.git_path, ref) == head
    newer = _put(repo, owner, "feature", "c.txt")  # a push to the head: the server follows
    pulls.sync_head(pull)
    assert gitcommit.ref_target(repo.git_path, ref) == newer


def test_prereceive_step_without_django(tmp_path: object) -> None:
    config = {
        "rules": [
            {"name": "main", "push": False, "force": False},
            {"name": "dev/*", "push": True, "force": True},
        ],
        "messages": {"push": "P %(branch)s", "force": "F %(branch)s", "delete": "D %(branch)s"},
    }
    a, b = "1" * 40, "2" * 40
    lines = [
        f"{ZERO} {b} refs/heads/main",
        f"{a} {ZERO} refs/heads/dev/x",
        f"{ZERO} {b} refs/tags/v1",
    ]
    assert refusals(config, lines) == ["P main", "D dev/x"]
    env = {**os.environ, "NBOPEN_PROTECTION": json.dumps(config)}
    done = subprocess.run(
        [sys.executable, "-m", "nbopen.collab.prereceive"],
        input=f"{ZERO} {b} refs/heads/main\n",
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1 and done.stderr == "P main\n"
