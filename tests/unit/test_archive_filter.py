"""``git archive`` through the LFS smudge filter process, and a branch grown from a commit.

Real git, no server: the filter speaks git's pkt-line protocol to the real binary; a
pointer routed by ``.gitattributes`` comes out as its content, anything else unchanged.
"""

from __future__ import annotations

import hashlib
import io
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from nbopen.repos.git import archive
from nbopen.repos.git import commit as gc

CONTENT = b"\0weights\n" * 10_000  # larger than one pkt-line packet
OID = hashlib.sha256(CONTENT).hexdigest()
POINTER = f"version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize {len(CONTENT)}\n"
MISSING = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "0" * 64 + "\nsize 3\n"

# A filter process serving one object from memory (the real one reads NBopen's storage).
FILTER = f"""
import sys
from nbopen.repos.lfs_filter import serve
content = {CONTENT!r}
def smudge(data):
    return iter([content[:7], content[7:]]) if data == {POINTER.encode()!r} else None
serve(sys.stdin.buffer, sys.stdout.buffer, smudge)
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "r.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    return path


def _commit(repo: Path, branch: str = "main", **kwargs: object) -> str:
    files = {
        ".gitattributes": b"*.bin filter=lfs diff=lfs merge=lfs -text\n",
        "model.bin": POINTER.encode(),
        "gone.bin": MISSING.encode(),
        "README.md": b"# hi\n",
    }
    ops = [gc.Put(path, gc.write_blob(repo, data)) for path, data in files.items()]
    sha, _ = gc.create_commit(
        repo,
        branch=branch,
        operations=ops,
        message="m\n",
        author=gc.Author("a", "a@example.org"),
        **kwargs,  # type: ignore[arg-type]
    )
    return sha


def test_archive_smudges_lfs_pointers_and_passes_the_rest(repo: Path, tmp_path: Path) -> None:
    sha = _commit(repo)
    script = tmp_path / "filter.py"
    script.write_text(FILTER)
    env = archive.archive_env()
    env["PYTHONPATH"] = ":".join(sys.path)
    chunks = archive.stream(
        repo,
        sha,
        fmt="zip",
        prefix="r-main/",
        lfs_process=shlex.join([sys.executable, str(script)]),
        env=env,
    )
    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as zipped:
        assert zipped.read("r-main/model.bin") == CONTENT
        assert zipped.read("r-main/gone.bin") == MISSING.encode()  # not held: the pointer
        assert zipped.read("r-main/README.md") == b"# hi\n"


def test_unknown_revision_fails_before_any_byte(repo: Path) -> None:
    _commit(repo)
    with pytest.raises(gc.GitError):
        next(archive.stream(repo, "f" * 40, fmt="zip", prefix="x/", lfs_process="false"))


def test_new_branch_grows_from_start_in_one_ref_update(repo: Path) -> None:
    base = _commit(repo)
    put = gc.Put("note.txt", gc.write_blob(repo, b"n\n"))
    sha, old = gc.create_commit(
        repo,
        branch="feature/x",
        operations=[put],
        message="m\n",
        author=gc.Author("a", "a@example.org"),
        expected_parent=None,
        require_parent=True,
        start=base,
    )
    assert old is None
    parents = subprocess.run(
        ["git", "rev-list", "--parents", "-n1", sha], cwd=repo, capture_output=True, text=True
    ).stdout.split()
    assert parents == [sha, base]
    with pytest.raises(gc.RefConflict):  # the branch exists now: no second "first" commit
        gc.create_commit(
            repo,
            branch="feature/x",
            operations=[put],
            message="m\n",
            author=gc.Author("a", "a@example.org"),
            expected_parent=None,
            require_parent=True,
            start=base,
        )
