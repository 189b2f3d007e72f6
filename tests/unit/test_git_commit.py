"""Commits without a work tree: operations, .gitattributes routing, compare-and-swap."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nbopen.repos.git import commit as gc


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "r.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    return path


def commit(repo: Path, *ops: gc.Operation, **kwargs: object) -> str:
    sha, _ = gc.create_commit(
        repo,
        branch="main",
        operations=list(ops),
        message="m\n",
        author=gc.Author("alice", "a@example.org"),
        **kwargs,  # type: ignore[arg-type]
    )
    return sha


def test_add_delete_folder_and_lfs_routing(repo: Path) -> None:
    a = gc.write_blob(repo, b"a")
    pointer = gc.write_blob(repo, b"version https://git-lfs.github.com/spec/v1\n")
    first = commit(
        repo,
        gc.Put("sub/a.txt", a),
        gc.Put("sub/deep/b.txt", a),
        gc.Put("模型 权重[1].bin", pointer, lfs=True),
    )
    files = git(repo, "ls-tree", "-r", "--name-only", "-z", first).split("\0")
    assert set(filter(None, files)) == {
        "sub/a.txt",
        "sub/deep/b.txt",
        "模型 权重[1].bin",
        ".gitattributes",
    }
    attrs = git(repo, "show", f"{first}:.gitattributes")
    assert "filter=lfs" in attrs
    check = tempfile_checkout(repo, first)
    out = git(check, "check-attr", "filter", "--", "模型 权重[1].bin")
    assert out.strip().endswith("filter: lfs")
    second = commit(repo, gc.Delete("sub", folder=True))
    assert git(repo, "rev-parse", "main").strip() == second
    assert "sub/" not in git(repo, "ls-tree", "-r", "--name-only", second)
    with pytest.raises(gc.PathNotFound):
        commit(repo, gc.Delete("nope.txt"))


def tempfile_checkout(repo: Path, sha: str) -> Path:
    work = repo.parent / f"co-{sha[:7]}"
    subprocess.run(["git", "clone", "-q", str(repo), str(work)], check=True)
    return work


def test_parent_check_is_compare_and_swap(repo: Path) -> None:
    blob = gc.write_blob(repo, b"x")
    base = commit(repo, gc.Put("x", blob))
    commit(repo, gc.Put("y", blob), expected_parent=base, require_parent=True)
    with pytest.raises(gc.RefConflict):
        commit(repo, gc.Put("z", blob), expected_parent=base, require_parent=True)
    with pytest.raises(gc.RefConflict):
        gc.update_ref(repo, "refs/heads/main", base, base)
