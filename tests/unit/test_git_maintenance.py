"""Repositories are packed after pushes accumulate loose objects, without losing anything."""

from __future__ import annotations

import subprocess
from pathlib import Path

from nbopen.repos.git import maintenance


def git(*args: str, cwd: Path, input_: bytes | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, input=input_, capture_output=True, check=True
    ).stdout.decode()


def _bare_with_loose_objects(tmp_path: Path, blobs: int) -> tuple[Path, str]:
    bare = tmp_path / "repo.git"
    git("init", "-q", "--bare", "-b", "main", str(bare), cwd=tmp_path)
    git("config", "gc.auto", "0", cwd=bare)  # as every NBopen repository
    files = tmp_path / "files"
    files.mkdir()
    paths = []
    for i in range(blobs):
        (files / f"f{i:05d}.txt").write_text(f"blob {i}\n")
        paths.append(str(files / f"f{i:05d}.txt"))
    oids = git(
        "hash-object", "-w", "--stdin-paths", cwd=bare, input_="\n".join(paths).encode()
    ).split()
    lines = [f"100644 blob {oid}\tf{i:05d}.txt\n" for i, oid in enumerate(oids)]
    tree = git("mktree", cwd=bare, input_="".join(lines).encode()).strip()
    commit = git("commit-tree", tree, "-m", "many files", cwd=bare).strip()
    git("update-ref", "refs/heads/main", commit, cwd=bare)
    return bare, commit


def test_below_the_threshold_nothing_happens(tmp_path: Path) -> None:
    bare, _ = _bare_with_loose_objects(tmp_path, 50)
    assert maintenance.maintain(bare) is False
    assert maintenance.count_objects(bare)["count"] == 52


def test_over_the_threshold_objects_are_packed_and_history_survives(tmp_path: Path) -> None:
    bare, commit = _bare_with_loose_objects(tmp_path, 2000)
    assert maintenance.count_objects(bare)["count"] == 2002
    assert maintenance.maintain(bare, loose_limit=256) is True
    after = maintenance.count_objects(bare)
    assert after["count"] == 0
    assert after["in-pack"] == 2002
    assert (bare / "objects" / "info" / "commit-graph").exists() or list(
        (bare / "objects" / "info").glob("commit-graphs/*.graph")
    )
    git("fsck", "--strict", cwd=bare)
    clone = tmp_path / "clone"
    git("clone", "-q", str(bare), str(clone), cwd=tmp_path)
    assert git("rev-parse", "HEAD", cwd=clone).strip() == commit
    assert (clone / "f01999.txt").read_text() == "blob 1999\n"


def test_commit_graph_with_bloom_filters_grows_by_layers(tmp_path: Path) -> None:
    bare, first = _bare_with_loose_objects(tmp_path, 5)
    assert not maintenance.has_commit_graph(bare)
    maintenance.write_commit_graph(bare)
    assert maintenance.has_commit_graph(bare)
    chain = bare / "objects" / "info" / "commit-graphs" / "commit-graph-chain"
    assert len(chain.read_text().split()) == 1
    tree = git("rev-parse", f"{first}^{{tree}}", cwd=bare).strip()
    second = git("commit-tree", tree, "-p", first, "-m", "again", cwd=bare).strip()
    git("update-ref", "refs/heads/main", second, cwd=bare)
    maintenance.write_commit_graph(bare)
    # The new commit is in the graph (a small layer on top, or merged into one): git verifies.
    git("commit-graph", "verify", cwd=bare)
    layers = [chain.parent / f"graph-{h}.graph" for h in chain.read_text().split()]
    assert layers and all(layer.exists() for layer in layers)
    # Changed-path Bloom filters: the BIDX/BDAT chunks git reads for ``git log -- path``.
    assert all(b"BIDX" in layer.read_bytes()[:200] for layer in layers)
