"""Writing commits into a bare repository without a work tree: the one commit engine.

Every channel that turns content into a commit on the server (Hub commits, browser uploads,
the demo loader, the Parquet ref) ends here, through :mod:`nbopen.repos.writes.commits`.
Why plumbing: a request carries whole commits (adds, deletes) and must become one real git
commit, visible to ``git clone``, without checking anything out. Blobs are written with
``git hash-object -w``, the tree is built in a throw-away index (``GIT_INDEX_FILE``) with
``update-index`` + ``write-tree``, the commit with ``commit-tree``, and the branch moves with
``git update-ref REF NEW OLD``: a compare-and-swap, so two writers racing from the same parent
cannot both win (the loser gets :class:`RefConflict`). One error hierarchy (``GitError``) and
one environment (:func:`git_env`) for every writing command.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from nbopen.repos.git import names
from nbopen.repos.git.bare import GitError

ZERO_SHA = "0" * 40
FILE_MODE = "100644"
LFS_ATTRS = "filter=lfs diff=lfs merge=lfs -text"


class RefConflict(GitError):
    """The branch moved between reading its head and updating it (or a new ref exists)."""


class InvalidPath(GitError):
    """A path that would escape the tree, hide in ``.git`` or cannot be stored."""


class NothingChanged(GitError):
    """The commit would have the parent's tree (refused where an empty commit is a mistake)."""


class PathNotFound(GitError):
    """A delete named a path that does not exist in the parent tree."""

    def __init__(self, path: str) -> None:
        super().__init__(f"A file with this name doesn't exist: {path}")
        self.path = path


@dataclass(frozen=True)
class Author:
    name: str
    email: str
    when: datetime = field(default_factory=lambda: datetime.now(UTC))
    offset: str = "+0000"  # the time zone git shows (the demo's back-dated commits use +0800)

    @property
    def stamp(self) -> str:
        return f"{int(self.when.timestamp())} {self.offset}"


@dataclass(frozen=True)
class Put:
    """Set ``path`` to the blob ``oid`` (already in the object database)."""

    path: str
    oid: str
    mode: str = FILE_MODE
    lfs: bool = False  # the blob is an LFS pointer: make sure .gitattributes routes it


@dataclass(frozen=True)
class Delete:
    """Remove a file, or with ``folder`` every file below the prefix ``path``."""

    path: str
    folder: bool = False


Operation = Put | Delete


def clean_path(path: str) -> str:
    """Normalise a repository path (outer slashes), refusing anything that escapes or hides:
    the one rule of :func:`nbopen.repos.git.names.check_path` (git's fsck rules and more)."""
    try:
        return names.check_path(path)
    except names.PathRefused as exc:
        raise InvalidPath(f"invalid path {path!r}: {exc}") from None


def git_env(index_file: str | None = None, author: Author | None = None) -> dict[str, str]:
    """The environment every writing git command runs in: the server's own ``GIT_*``
    variables dropped (a hook's ``GIT_DIR`` must never redirect a write), C locale, and the
    throw-away index or the commit identity when given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["LC_ALL"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    if index_file is not None:
        env["GIT_INDEX_FILE"] = index_file
    if author is not None:
        stamp = author.stamp
        env.update(
            {
                "GIT_AUTHOR_NAME": author.name,
                "GIT_AUTHOR_EMAIL": author.email,
                "GIT_AUTHOR_DATE": stamp,
                "GIT_COMMITTER_NAME": author.name,
                "GIT_COMMITTER_EMAIL": author.email,
                "GIT_COMMITTER_DATE": stamp,
            }
        )
    return env


def _git(
    repo: Path,
    *args: str,
    input_: bytes | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(
        ["git", "-c", "core.quotePath=false", *args],
        cwd=repo,
        input=input_,
        capture_output=True,
        check=False,
        env=env or git_env(),
    )
    if check and proc.returncode != 0:
        raise GitError(f"git {args[0]}: {proc.stderr.decode(errors='replace').strip()}")
    return proc


def write_blob(repo: Path, data: bytes) -> str:
    """Store ``data`` as a blob; returns its sha1."""
    return _git(repo, "hash-object", "-w", "--stdin", input_=data).stdout.decode().strip()


def write_blob_file(repo: Path, source: Path) -> str:
    """Store the file ``source`` as a blob without reading it into memory."""
    out = _git(repo, "hash-object", "-w", "--no-filters", "--", str(source)).stdout
    return out.decode().strip()


def qualify(branch: str) -> str:
    """The full ref of ``branch``; a name already starting with ``refs/`` is a server-kept ref
    (a Hub pull request's ``refs/pr/N``): branch names may not start so (:mod:`.names`)."""
    return branch if branch.startswith("refs/") else f"refs/heads/{branch}"


def branch_head(repo: Path, branch: str) -> str | None:
    proc = _git(
        repo, "rev-parse", "--verify", "--quiet", f"{qualify(branch)}^{{commit}}", check=False
    )
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def _quote_pattern(path: str) -> str:
    """A .gitattributes pattern matching exactly ``path`` (C-quoted when needed)."""
    escaped = "".join("\\" + c if c in "*?[]!\\" else c for c in path)
    if any(c in path for c in ' "\t') or not path.isascii():
        data = escaped.encode()
        body = "".join(
            chr(b) if 0x20 <= b < 0x7F and chr(b) not in '"\\' else f"\\{b:03o}" for b in data
        )
        # Backslashes we added for glob escaping must survive the C-unquoting.
        return '"' + body.replace("\\134", "\\\\") + '"'
    return escaped


def _lfs_unrouted(repo: Path, env: dict[str, str], paths: Sequence[str]) -> list[str]:
    """The paths the index's .gitattributes do not send through the LFS filter."""
    if not paths:
        return []
    out = _git(
        repo,
        "check-attr",
        "-z",
        "--cached",
        "--stdin",
        "filter",
        input_=b"".join(p.encode() + b"\0" for p in paths),
        env=env,
    ).stdout
    fields = out.split(b"\0")
    unrouted = []
    for i in range(0, len(fields) - 2, 3):
        if fields[i + 2] != b"lfs":
            unrouted.append(fields[i].decode())
    return unrouted


def _parent_files(repo: Path, parent: str | None) -> dict[str, tuple[str, str]]:
    """path → (mode, blob oid) for every file in ``parent``'s tree."""
    if parent is None:
        return {}
    out = _git(repo, "ls-tree", "-r", "-z", "--full-tree", parent).stdout
    files: dict[str, tuple[str, str]] = {}
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, _otype, oid = meta.decode().split()
        files[name.decode("utf-8", "surrogateescape")] = (mode, oid)
    return files


def apply_operations(
    files: dict[str, tuple[str, str]], operations: Iterable[Operation]
) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """Apply operations in order to a path → (mode, oid) map; returns it and the LFS paths.

    Raises :class:`PathNotFound` for a delete of a path absent at that point.
    """
    files = dict(files)
    lfs_paths: set[str] = set()
    for op in operations:
        path = op.path.strip("/")
        if isinstance(op, Delete):
            if op.folder or path not in files:
                # A file delete naming a folder deletes the folder, as on the Hub (the client
                # sends ``deletedFile`` for ``CommitOperationDelete("folder")``).
                victims = [p for p in files if p.startswith(path + "/")] if path else []
            else:
                victims = [path]
            if not victims:
                raise PathNotFound(op.path)
            for victim in victims:
                del files[victim]
                lfs_paths.discard(victim)
            continue
        # A file may replace a folder of the same name (and a folder a file).
        for clash in [p for p in files if p.startswith(path + "/")]:
            del files[clash]
        parts = path.split("/")
        for cut in range(1, len(parts)):
            files.pop("/".join(parts[:cut]), None)
        files[path] = (op.mode, op.oid)
        if op.lfs:
            lfs_paths.add(path)
        else:
            lfs_paths.discard(path)
    return files, sorted(lfs_paths)


def build_tree(repo: Path, parent: str | None, operations: Iterable[Operation]) -> str:
    """The tree that results from applying ``operations`` to ``parent``'s tree.

    LFS pointers whose path the resulting ``.gitattributes`` does not route through the LFS
    filter get an exact-path line appended, so ``git clone`` with git-lfs checks out the
    real bytes. Raises :class:`PathNotFound` for a delete of a missing path.
    """
    files, lfs_paths = apply_operations(_parent_files(repo, parent), operations)
    tmp_dir = repo / "nbopen-tmp"
    tmp_dir.mkdir(exist_ok=True)
    fd, index = tempfile.mkstemp(prefix="index-", dir=tmp_dir)
    os.close(fd)
    os.unlink(index)  # git creates it itself
    env = git_env(index)
    try:
        listing = b"".join(
            f"{mode} {oid}\t{path}".encode("utf-8", "surrogateescape") + b"\0"
            for path, (mode, oid) in files.items()
        )
        _git(repo, "update-index", "-z", "--add", "--index-info", input_=listing, env=env)
        unrouted = _lfs_unrouted(repo, env, lfs_paths)
        if unrouted:
            current = b""
            if ".gitattributes" in files:
                current = _git(repo, "cat-file", "blob", files[".gitattributes"][1]).stdout
            if current and not current.endswith(b"\n"):
                current += b"\n"
            extra = "".join(f"{_quote_pattern(p)} {LFS_ATTRS}\n" for p in unrouted)
            oid = write_blob(repo, current + extra.encode())
            _git(
                repo,
                "update-index",
                "-z",
                "--add",
                "--index-info",
                input_=f"{FILE_MODE} {oid}\t.gitattributes".encode() + b"\0",
                env=env,
            )
        return _git(repo, "write-tree", env=env).stdout.decode().strip()
    finally:
        for leftover in (index, index + ".lock"):
            if os.path.exists(leftover):
                os.unlink(leftover)


def tree_of(repo: Path, commit: str) -> str:
    return _git(repo, "rev-parse", f"{commit}^{{tree}}").stdout.decode().strip()


def ref_target(repo: Path, ref: str) -> str | None:
    """What ``ref`` points at (a tag object for annotated tags), or None."""
    proc = _git(repo, "rev-parse", "--verify", "--quiet", ref, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def resolve_many(repo: Path, names: Sequence[str]) -> list[str | None]:
    """Each of ``names`` (refs, ``rev^{commit}``…) as an object id, or None when it does not
    resolve — in one ``git cat-file --batch-check`` rather than one process per name (a
    merge's answer pays ~2–3 ms for every git process)."""
    lines = "".join(f"{name}\n" for name in names).encode()
    out = _git(repo, "cat-file", "--batch-check=%(objectname)", input_=lines).stdout.decode()
    lines_out = out.splitlines()
    if len(lines_out) != len(names):
        raise GitError(f"cat-file answered {len(lines_out)} lines for {len(names)} names")
    return [line if len(line) in (40, 64) and " " not in line else None for line in lines_out]


def commit_tree(
    repo: Path,
    tree: str,
    parent: str | None,
    message: str,
    author: Author,
    *,
    more_parents: Sequence[str] = (),
    committer: Author | None = None,
) -> str:
    """A commit object (not referenced yet). ``more_parents``: a merge commit's other
    parents; ``committer``: when it differs from ``author`` (a squash or rebase keeps the
    original author)."""
    args = ["commit-tree", tree]
    for each in ([parent] if parent is not None else []) + list(more_parents):
        args += ["-p", each]
    env = git_env(author=author)
    if committer is not None:
        env.update(
            {
                "GIT_COMMITTER_NAME": committer.name,
                "GIT_COMMITTER_EMAIL": committer.email,
                "GIT_COMMITTER_DATE": committer.stamp,
            }
        )
    return _git(repo, *args, input_=message.encode(), env=env).stdout.decode().strip()


def update_ref(repo: Path, ref: str, new: str, old: str | None) -> None:
    """Move ``ref`` from ``old`` (None: must not exist) to ``new``, atomically."""
    proc = _git(repo, "update-ref", ref, new, old or ZERO_SHA, check=False)
    if proc.returncode != 0:
        raise RefConflict(f"{ref} moved: {proc.stderr.decode(errors='replace').strip()}")


def delete_ref(repo: Path, ref: str, old: str) -> None:
    proc = _git(repo, "update-ref", "-d", ref, old, check=False)
    if proc.returncode != 0:
        raise RefConflict(f"{ref} moved: {proc.stderr.decode(errors='replace').strip()}")


def create_commit(
    repo: Path,
    *,
    branch: str,
    operations: Sequence[Operation],
    message: str,
    author: Author,
    expected_parent: str | None = None,
    require_parent: bool = False,
    skip_unchanged: bool = False,
    retries: int = 3,
    start: str | None = None,
) -> tuple[str, str | None]:
    """Commit ``operations`` on ``branch``; returns (new commit sha, parent sha).

    With ``require_parent`` the branch must still point at ``expected_parent`` (the caller's
    ``parentCommit``; None: the branch must not exist yet), otherwise :class:`RefConflict`.
    Without it, a lost race is retried on the new head, because path-level operations are
    meaningful on any parent. With ``skip_unchanged`` a commit that would not change the
    tree raises :class:`NothingChanged` instead of being written. ``start``: the commit a
    branch that does not exist yet grows from (the new branch and its first commit appear in
    one ref update, so a refused commit leaves no empty branch behind).
    """
    for attempt in range(retries + 1):
        parent = branch_head(repo, branch)
        if require_parent and parent != expected_parent:
            raise RefConflict(f"{qualify(branch)} is at {parent}, not {expected_parent}")
        base = parent if parent is not None else start
        tree = build_tree(repo, base, operations)
        if skip_unchanged and base is not None and tree == tree_of(repo, base):
            raise NothingChanged("the commit does not change any file")
        sha = commit_tree(repo, tree, base, message, author)
        try:
            update_ref(repo, qualify(branch), sha, parent)
        except RefConflict:
            if require_parent or attempt == retries:
                raise
            continue
        return sha, parent
    raise RefConflict("could not update the branch")  # pragma: no cover - loop always returns


LOCK_DIR = "nbopen-locks"


@contextmanager
def branch_lock(repo: Path, branch: str, timeout: float = 120.0) -> Iterator[None]:
    """Hold the server's write lock on ``branch`` of ``repo`` (every process, every thread).

    Server-side commits on one branch (Hub commits, browser uploads) take it around
    "read the head, build the tree, move the ref", so commits without a parent are applied one
    after another on the current head, as the Hub does, instead of losing compare-and-swap
    races. Why an ``flock`` on a file in the git directory rather than a database row lock:
    it is the same on SQLite (which has no ``SELECT … FOR UPDATE``; a write transaction would
    hold the one database write lock for the whole git work) and PostgreSQL (no transaction
    held open across git subprocesses), it lives next to the refs it protects, and the kernel
    releases it when a process dies (``kill -9``), so a crash never leaves a stale lock.
    Git pushes do not take it: their ref updates stay compare-and-swap, and a commit that
    loses to one is retried on the new head. :class:`RefConflict` after ``timeout`` seconds.
    """
    directory = repo / LOCK_DIR
    directory.mkdir(exist_ok=True)
    name = hashlib.sha256(branch.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    fd = os.open(directory / name, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RefConflict(
                        f"Timed out waiting for other commits on {branch}; retry"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def write_tag(repo: Path, target: str, name: str, message: str, tagger: Author) -> str:
    """An annotated tag object (not yet referenced); returns its sha."""
    text = (
        f"object {target}\ntype commit\ntag {name}\n"
        f"tagger {tagger.name} <{tagger.email}> {tagger.stamp}\n\n{message.rstrip()}\n"
    )
    return _git(repo, "mktag", input_=text.encode()).stdout.decode().strip()
