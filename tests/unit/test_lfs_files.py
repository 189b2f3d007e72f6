"""Permanently deleting LFS files (``repos.writes.lfs_files``): bytes shared with another
repository survive, and the rewritten history holds no pointer to the deleted object."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from nbopen.access.policy import Principal
from nbopen.accounts.models import User
from nbopen.accounts.services import user_create
from nbopen.core.storage import get_storage
from nbopen.repos.git import read
from nbopen.repos.models import LFSObject, Repository
from nbopen.repos.services import repo_create
from nbopen.repos.writes import commits, lfs_files, objects, refs

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner() -> User:
    return user_create(username="lfsowner", email="lfsowner@example.org", password="pw-Secret-123")


def _repo(user: User, name: str) -> Repository:
    return repo_create(actor=Principal(user=user), owner=None, name=name, empty=True)


def _commit(repo: Repository, user: User, *ops: commits.Operation) -> str:
    sha, _ = commits.commit(repo=repo, actor=user, branch="main", operations=ops, message="m")
    return sha


def _all_paths(repo: Repository) -> str:
    return subprocess.run(
        ["git", "log", "--all", "--name-only", "--format="],
        cwd=repo.git_path, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def test_delete_keeps_shared_bytes_and_rewrites_history(
    owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    mine, other = _repo(owner, "lfs-mine"), _repo(owner, "lfs-other")
    gone, _ = objects.publish_bytes(repo_id=mine.pk, data=b"\x00gone" * 100)
    kept, _ = objects.publish_bytes(repo_id=mine.pk, data=b"\x00kept" * 100)
    shared, size = objects.publish_bytes(repo_id=mine.pk, data=b"\x00shared" * 100)
    objects.link(repo_id=other.pk, oid=shared, size=size)
    _commit(mine, owner, commits.AddLfs("deep/dir/gone.bin", gone, 500))
    _commit(mine, owner, commits.AddLfs("kept.bin", kept, 500))
    tip = _commit(mine, owner, commits.AddLfs("shared.bin", shared, size))
    refs.create_tag(repo=mine, actor=owner, tag="v1", target=tip, message="annotated")
    assert {f.filename for f in lfs_files.list_lfs_files(mine)} == {
        "deep/dir/gone.bin", "kept.bin", "shared.bin"
    }  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):  # bytes go after the commit
        deleted = lfs_files.permanently_delete(
            repo=mine, actor=owner, oids=[gone, shared, "not-an-oid"], rewrite_history=True
        )
    assert deleted == 2
    storage = get_storage()
    assert storage.size(gone) is None  # no repository links it: the bytes are freed
    assert not LFSObject.objects.filter(oid=gone).exists()
    assert storage.size(shared) == size  # still linked by the other repository
    assert [f.filename for f in lfs_files.list_lfs_files(mine)] == ["kept.bin"]

    history = _all_paths(mine)
    assert "gone.bin" not in history and "shared.bin" not in history
    assert "kept.bin" in history
    head = read.resolve(mine.git_path, "main")
    tag = read.resolve(mine.git_path, "v1")
    assert head is not None and head == tag  # the annotated tag follows the rewrite
    paths = [e.path for e in read.ls_tree(mine.git_path, head, recursive=True)]
    assert "kept.bin" in paths and not any(p.startswith("deep") for p in paths)
    fsck = subprocess.run(["git", "fsck", "--strict"], cwd=mine.git_path, capture_output=True)
    assert fsck.returncode == 0, fsck.stderr


def test_rewrite_respects_protected_branches(owner: User) -> None:
    """Rewriting history force-pushes every branch: a protected branch whose rule does not
    allow force pushes refuses it before anything is unlinked or moved; once the rule allows
    force pushes (for pushers), the same deletion goes through."""
    from nbopen.collab import protection

    repo = _repo(owner, "lfs-guarded")
    gone, _ = objects.publish_bytes(repo_id=repo.pk, data=b"\x00gone" * 100)
    _commit(repo, owner, commits.AddLfs("gone.bin", gone, 500))
    tip = _commit(repo, owner, commits.AddBytes("README.md", b"hi\n"))
    me = Principal(user=owner)
    protection.save_rule(actor=me, repo=repo, data={"rule_name": "main", "enable_push": True})
    with pytest.raises(protection.BranchProtected, match="force pushes are not allowed"):
        lfs_files.permanently_delete(repo=repo, actor=owner, oids=[gone], rewrite_history=True)
    assert read.resolve(repo.git_path, "main") == tip  # nothing moved
    assert [f.oid for f in lfs_files.list_lfs_files(repo)] == [gone]  # nothing unlinked
    assert "gone.bin" in _all_paths(repo)

    # A rule that allows pushes only to a listed user: the owner is not listed.
    protection.save_rule(
        actor=me,
        repo=repo,
        name="main",
        data={
            "enable_force_push": True,
            "enable_push_whitelist": True,
            "push_whitelist_usernames": ["someone-else"],
        },
    )
    with pytest.raises(protection.BranchProtected, match="direct pushes are not allowed"):
        lfs_files.permanently_delete(repo=repo, actor=owner, oids=[gone], rewrite_history=True)
    assert read.resolve(repo.git_path, "main") == tip

    protection.save_rule(
        actor=me, repo=repo, name="main", data={"push_whitelist_usernames": ["lfsowner"]}
    )
    assert (
        lfs_files.permanently_delete(repo=repo, actor=owner, oids=[gone], rewrite_history=True) == 1
    )
    assert "gone.bin" not in _all_paths(repo)
    assert read.resolve(repo.git_path, "main") != tip


def test_delete_without_rewrite_moves_no_protected_ref(owner: User) -> None:
    from nbopen.collab import protection

    repo = _repo(owner, "lfs-keep-history")
    gone, _ = objects.publish_bytes(repo_id=repo.pk, data=b"\x00gone" * 100)
    tip = _commit(repo, owner, commits.AddLfs("gone.bin", gone, 500))
    protection.save_rule(actor=Principal(user=owner), repo=repo, data={"rule_name": "ma*"})
    assert (
        lfs_files.permanently_delete(repo=repo, actor=owner, oids=[gone], rewrite_history=False)
        == 1
    )
    assert read.resolve(repo.git_path, "main") == tip
    assert lfs_files.list_lfs_files(repo) == []
