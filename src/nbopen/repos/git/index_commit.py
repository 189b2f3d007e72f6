"""Writing a commit into a bare repository without a work tree.

The browser upload (and the demo loader) need to add files to a branch on the server. We use
plumbing only: blobs go in with ``hash-object -w``, a throw-away index file (``GIT_INDEX_FILE``)
is seeded from the parent's tree, entries are added with ``update-index --cacheinfo``, and
``commit-tree`` + ``update-ref NEW OLD`` publish the result. The compare-and-swap on the old
value means two concurrent writers cannot silently overwrite each other: the loser gets
:class:`StaleBranch` and nothing is lost.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nbopen.repos.git.bare import GitError

ZERO_SHA = "0" * 40


class StaleBranch(GitError):
    """The branch moved between reading it and updating it."""


class InvalidPath(ValueError):
    pass


@dataclass(frozen=True)
class NewFile:
    """A file to write: ``path`` in the repository, bytes from ``data`` or a local ``source``."""

    path: str
    data: bytes | None = None
    source: Path | None = None
    executable: bool = False


@dataclass(frozen=True)
class Identity:
    name: str
    email: str
    date: str | None = None  # git date ("@<unix> +0800"); None means now


def clean_path(path: str) -> str:
    """Normalise a user-supplied repository path, refusing anything that escapes or hides.

    ``.git`` components are refused because git itself would refuse to check them out.
    """
    path = path.replace("\\", "/").strip("/")
    if not path or "\0" in path or "\n" in path or len(path) > 4096:
        raise InvalidPath(f"invalid path {path!r}")
    parts = path.split("/")
    for part in parts:
        if part in {"", ".", ".."} or part.lower() == ".git":
            raise InvalidPath(f"invalid path {path!r}")
    return "/".join(parts)


def _git(
    git_dir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    input_: bytes | None = None,
) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=git_dir,
        input=input_,
        capture_output=True,
        check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})},
    )
    if proc.returncode != 0:
        raise GitError(f"git {args[0]} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout.decode().strip()


def _branch_head(git_dir: Path, branch: str) -> str | None:
    proc = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}"],
        cwd=git_dir,
        capture_output=True,
        check=False,
    )
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def _hash_file(git_dir: Path, item: NewFile) -> str:
    if item.source is not None:
        return _git(git_dir, "hash-object", "-w", "--no-filters", "--", str(item.source))
    return _git(git_dir, "hash-object", "-w", "--stdin", input_=item.data or b"")


def commit_files(
    git_dir: Path,
    *,
    branch: str,
    files: list[NewFile],
    message: str,
    author: Identity,
    expected_head: str | bool | None = True,
) -> tuple[str | None, str]:
    """Commit ``files`` on top of ``branch`` and return ``(old_head, new_head)``.

    ``expected_head=True`` means "whatever the branch points at now"; pass a sha (or None for
    "the branch must not exist yet") to make the update conditional on what the caller saw.
    """
    if not files:
        raise InvalidPath("nothing to commit")
    old = _branch_head(git_dir, branch)
    if expected_head is not True and expected_head != old:
        raise StaleBranch(f"branch {branch} moved (expected {expected_head}, found {old})")
    with tempfile.TemporaryDirectory(prefix="nbopen-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if old is not None:
            _git(git_dir, "read-tree", f"{old}^{{tree}}", env=env)
        else:
            _git(git_dir, "read-tree", "--empty", env=env)
        for item in files:
            path = clean_path(item.path)
            oid = _hash_file(git_dir, item)
            mode = "100755" if item.executable else "100644"
            _git(
                git_dir,
                "update-index",
                "--add",
                "--replace",
                "--cacheinfo",
                f"{mode},{oid},{path}",
                env=env,
            )
        tree = _git(git_dir, "write-tree", env=env)
    if old is not None and _git(git_dir, "rev-parse", f"{old}^{{tree}}") == tree:
        raise InvalidPath("the upload does not change any file")
    who = {
        "GIT_AUTHOR_NAME": author.name,
        "GIT_AUTHOR_EMAIL": author.email,
        "GIT_COMMITTER_NAME": author.name,
        "GIT_COMMITTER_EMAIL": author.email,
    }
    if author.date:
        who["GIT_AUTHOR_DATE"] = who["GIT_COMMITTER_DATE"] = author.date
    parents = ["-p", old] if old else []
    new = _git(git_dir, "commit-tree", tree, *parents, env=who, input_=message.encode())
    try:
        _git(git_dir, "update-ref", f"refs/heads/{branch}", new, old or ZERO_SHA)
    except GitError as exc:
        raise StaleBranch(f"branch {branch} moved during the commit") from exc
    return old, new
