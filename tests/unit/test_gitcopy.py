"""A repository copied while git repacks it: the copy still holds every ref's history."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from nbopen.ops import gitcopy
from nbopen.ops.manifest import BackupError, Inventory


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_DIR": str(repo)}
    return subprocess.run(
        ["git", *args], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def _bare_with_loose_history(path: Path, commits: int) -> Path:
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    parent: str | None = None
    for n in range(commits):
        blob = subprocess.run(
            ["git", "hash-object", "-w", "--stdin"],
            input=f"content {n}\n",
            env={**os.environ, "GIT_DIR": str(path)},
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        tree = subprocess.run(
            ["git", "mktree"],
            input=f"100644 blob {blob}\tfile.txt\n",
            env={**os.environ, "GIT_DIR": str(path)},
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        args = ["commit-tree", tree, "-m", f"c{n}", *(["-p", parent] if parent else [])]
        parent = _git(path, *args)
        _git(path, "update-ref", "refs/heads/main", parent)
    return path


def test_copy_survives_a_repack_midway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _bare_with_loose_history(tmp_path / "src.git", 15)
    refs = gitcopy.snapshot_refs(repo)
    inventory = Inventory(tmp_path / "backup")
    copy_file = Inventory.copy_file
    calls = {"n": 0}

    def copy_then_repack(self: Inventory, source: Path, rel: str) -> object:
        calls["n"] += 1
        if calls["n"] == 8:  # git gc packs the loose objects and deletes them under us
            _git(repo, "repack", "-a", "-d", "-q")
            _git(repo, "prune-packed")
        return copy_file(self, source, rel)

    monkeypatch.setattr(Inventory, "copy_file", copy_then_repack)
    gitcopy.copy_repository(repo, refs, inventory, "git/00/1.git")
    copy = tmp_path / "backup" / "git" / "00" / "1.git"
    assert _git(copy, "rev-list", "--count", "main") == "15"
    _git(copy, "fsck", "--no-progress")
    assert {e.path for e in inventory.entries} >= {"git/00/1.git/packed-refs"}


def test_refs_are_those_of_the_snapshot(tmp_path: Path) -> None:
    repo = _bare_with_loose_history(tmp_path / "src.git", 3)
    refs = gitcopy.snapshot_refs(repo)
    old = _git(repo, "rev-parse", "main")
    _bare_commit = _git(
        repo, "commit-tree", _git(repo, "rev-parse", "main^{tree}"), "-p", old, "-m", "later"
    )
    _git(repo, "update-ref", "refs/heads/main", _bare_commit)  # a push after the snapshot
    gitcopy.copy_repository(repo, refs, Inventory(tmp_path / "b"), "r.git")
    assert _git(tmp_path / "b" / "r.git", "rev-parse", "main") == old


def test_a_copy_missing_objects_is_refused(tmp_path: Path) -> None:
    repo = _bare_with_loose_history(tmp_path / "src.git", 3)
    refs = gitcopy.snapshot_refs(repo)
    head = _git(repo, "rev-parse", "main")
    (repo / "objects" / head[:2] / head[2:]).unlink()  # corruption at the source
    with pytest.raises(BackupError, match="missing objects"):
        gitcopy.copy_repository(repo, refs, Inventory(tmp_path / "b"), "r.git")
