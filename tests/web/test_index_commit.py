"""Commits written without a work tree: paths are checked, updates are compare-and-swap."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nbopen.repos.git.index_commit import (
    Identity,
    InvalidPath,
    NewFile,
    StaleBranch,
    clean_path,
    commit_files,
)

WHO = Identity("Tester", "tester@example.org")


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    path = tmp_path / "r.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    return path


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.parametrize(
    "path", ["", "/", "../x", "a/../../x", "a/./b", ".git/config", "a/.GIT/x", "a\0b", "a//b"]
)
def test_bad_paths_are_refused(path: str) -> None:
    with pytest.raises(InvalidPath):
        clean_path(path)


def test_backslashes_and_outer_slashes_are_normalised() -> None:
    assert clean_path("\\docs\\说明.md/") == "docs/说明.md"


def test_commits_build_on_each_other_and_keep_old_files(bare: Path, tmp_path: Path) -> None:
    old, first = commit_files(
        bare, branch="main", files=[NewFile("a.txt", b"A\n")], message="one", author=WHO
    )
    assert old is None
    source = tmp_path / "big.bin"
    source.write_bytes(bytes(range(256)) * 10)
    _, second = commit_files(
        bare,
        branch="main",
        files=[
            NewFile("dir/中文 名.bin", source=source),
            NewFile("run.sh", b"#!/bin/sh\n", executable=True),
        ],
        message="two",
        author=WHO,
    )
    assert _git(bare, "rev-parse", f"{second}^").strip() == first
    listing = _git(bare, "ls-tree", "-r", "--name-only", "-z", second).split("\0")
    assert sorted(filter(None, listing)) == ["a.txt", "dir/中文 名.bin", "run.sh"]
    assert "100755" in _git(bare, "ls-tree", second, "run.sh")
    blob = subprocess.run(
        ["git", "cat-file", "blob", f"{second}:dir/中文 名.bin"], cwd=bare, capture_output=True
    ).stdout
    assert blob == source.read_bytes()
    assert (
        _git(bare, "log", "-1", "--format=%an <%ae>", second).strip()
        == "Tester <tester@example.org>"
    )


def test_stale_expected_head_is_refused_and_nothing_changes(bare: Path) -> None:
    _, first = commit_files(
        bare, branch="main", files=[NewFile("a", b"1")], message="1", author=WHO
    )
    _, second = commit_files(
        bare, branch="main", files=[NewFile("a", b"2")], message="2", author=WHO
    )
    with pytest.raises(StaleBranch):
        commit_files(
            bare,
            branch="main",
            files=[NewFile("a", b"3")],
            message="3",
            author=WHO,
            expected_head=first,
        )
    assert _git(bare, "rev-parse", "main").strip() == second
    with pytest.raises(StaleBranch):
        commit_files(
            bare,
            branch="main",
            files=[NewFile("b", b"x")],
            message="x",
            author=WHO,
            expected_head=None,
        )


def test_a_commit_that_changes_nothing_is_refused(bare: Path) -> None:
    commit_files(bare, branch="main", files=[NewFile("a", b"1")], message="1", author=WHO)
    with pytest.raises(InvalidPath):
        commit_files(bare, branch="main", files=[NewFile("a", b"1")], message="again", author=WHO)


def test_a_file_can_replace_a_directory(bare: Path) -> None:
    commit_files(bare, branch="main", files=[NewFile("d/x", b"1")], message="1", author=WHO)
    _, new = commit_files(
        bare, branch="main", files=[NewFile("d", b"file")], message="2", author=WHO
    )
    assert _git(bare, "ls-tree", "-r", "--name-only", new).split() == ["d"]
