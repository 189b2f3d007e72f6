"""Reading a bare repository: revisions, refs, trees, blobs and history.

Shared by the web UI and the Hub API. Everything goes through git plumbing with ``-z``
output, so paths with spaces, newlines or Chinese characters round-trip exactly.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nbopen.repos.git.bare import GitError

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_SHA_CHARS = frozenset("0123456789abcdef")


def _run(repo: Path, *args: str, input_: bytes | None = None, check: bool = True) -> bytes:
    proc = subprocess.run(
        ["git", "-c", "core.quotePath=false", *args],
        cwd=repo,
        input=input_,
        capture_output=True,
        check=False,
    )
    if check and proc.returncode != 0:
        raise GitError(f"git {args[0]}: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def is_full_sha(text: str) -> bool:
    return len(text) == 40 and set(text) <= _SHA_CHARS


@dataclass(frozen=True)
class Ref:
    name: str  # short name: "main", "feature/x", "v1.0"
    ref: str  # full name: "refs/heads/main"
    target: str  # commit sha


def list_refs(repo: Path) -> tuple[list[Ref], list[Ref]]:
    """(branches, tags), each sorted by name; tags are peeled to their commit."""
    out = _run(
        repo,
        "for-each-ref",
        "--format=%(refname)%00%(objectname)%00%(*objectname)",
        "refs/heads",
        "refs/tags",
    )
    branches, tags = [], []
    for line in out.decode().splitlines():
        refname, obj, peeled = line.split("\0")
        if refname.startswith("refs/heads/"):
            branches.append(Ref(refname.removeprefix("refs/heads/"), refname, obj))
        else:
            tags.append(Ref(refname.removeprefix("refs/tags/"), refname, peeled or obj))
    return branches, tags


def refs_under(repo: Path, prefix: str) -> list[Ref]:
    """Every ref below ``prefix`` (``refs/pr``), name = the full ref, sorted by name."""
    out = _run(repo, "for-each-ref", "--format=%(refname)%00%(objectname)", prefix)
    found = []
    for line in out.decode().splitlines():
        refname, obj = line.split("\0")
        found.append(Ref(refname, refname, obj))
    return found


def resolve(repo: Path, rev: str) -> str | None:
    """The commit sha a branch, tag, full or abbreviated sha names; None if it names none.

    Branches win over tags of the same name, as in git. Arbitrary revision syntax
    (``HEAD~2``, ``@{u}``, ``..``) is deliberately not accepted from users.
    """
    if not rev or rev.startswith("-") or any(c in rev for c in "\0\n~^:@{}[]\\ ?*") or ".." in rev:
        return None
    candidates = [f"refs/heads/{rev}", f"refs/tags/{rev}"]
    if rev.startswith("refs/"):
        candidates.insert(0, rev)
    if 4 <= len(rev) <= 40 and set(rev) <= _SHA_CHARS:
        candidates.append(rev)
    for candidate in candidates:
        proc = subprocess.run(
            [
                "git",
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                f"{candidate}^{{commit}}",
            ],
            cwd=repo,
            capture_output=True,
            check=False,
        )
        if proc.returncode == 0:
            return proc.stdout.decode().strip()
    return None


def split_rev_path(repo: Path, rev_and_path: str) -> tuple[str, str, str] | None:
    """Split ``feature/x/docs/a.md`` into (rev, sha, path) the way GitHub does.

    Revisions may contain slashes, so the longest prefix that names a branch or tag wins;
    otherwise the first segment is tried as a sha. Returns None when no prefix resolves.
    """
    parts = rev_and_path.strip("/").split("/")
    for cut in range(len(parts), 0, -1):
        rev = "/".join(parts[:cut])
        sha = resolve(repo, rev)
        if sha is not None:
            return rev, sha, "/".join(parts[cut:])
    return None


@dataclass(frozen=True)
class TreeEntry:
    path: str  # relative to the repository root
    type: str  # "blob", "tree" or "commit" (submodule)
    mode: str
    oid: str  # git object id (sha1)
    size: int | None  # blob size in bytes; None for trees


def ls_tree(repo: Path, sha: str, path: str = "", *, recursive: bool = False) -> list[TreeEntry]:
    """Entries under ``path`` at commit ``sha``. Raises FileNotFoundError if ``path`` is absent.

    ``recursive`` lists every blob below ``path`` (and the trees, with ``-t``).
    """
    path = path.strip("/")
    treeish = f"{sha}:{path}" if path else f"{sha}^{{tree}}"
    kind = _run(repo, "cat-file", "-t", treeish, check=False).strip()
    if kind != b"tree":
        raise FileNotFoundError(path)
    args = ["ls-tree", "-z", "-l", "--full-tree"]
    if recursive:
        args += ["-r", "-t"]
    out = _run(repo, *args, treeish)
    entries = []
    prefix = f"{path}/" if path else ""
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, otype, oid, size = meta.decode().split()
        entries.append(
            TreeEntry(
                prefix + name.decode("utf-8", "surrogateescape"),
                otype,
                mode,
                oid,
                int(size) if size != "-" else None,
            )
        )
    return entries


def entry_at(repo: Path, sha: str, path: str) -> TreeEntry | None:
    """The tree entry for ``path`` at ``sha`` (the root tree for ""), or None."""
    path = path.strip("/")
    if not path:
        tree = _run(repo, "rev-parse", f"{sha}^{{tree}}").decode().strip()
        return TreeEntry("", "tree", "040000", tree, None)
    parent, _, _ = path.rpartition("/")
    try:
        siblings = ls_tree(repo, sha, parent)
    except FileNotFoundError:
        return None
    return next((entry for entry in siblings if entry.path == path), None)


def changed_blobs(repo: Path, old: str, new: str) -> list[TreeEntry] | None:
    """The files added or changed from commit ``old`` to commit ``new`` (their new blobs,
    with sizes): what a push of ``old..new`` made new at the ref's tip. None when ``old`` is
    no longer in the repository (a force push that was pruned), so the caller lists all."""
    proc = subprocess.run(
        ["git", "diff-tree", "-r", "-z", "--no-renames", "--diff-filter=d", old, new],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        return None
    fields = proc.stdout.split(b"\0")
    changes: list[tuple[str, str, str]] = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        parts = meta.decode(errors="replace").lstrip(":").split()
        if len(parts) == 5 and parts[1] != "160000":  # submodules are not files here
            changes.append((path.decode("utf-8", "surrogateescape"), parts[1], parts[3]))
    if not changes:
        return []
    oids = "\n".join(oid for _, _, oid in changes).encode() + b"\n"
    sizes: dict[str, int] = {}
    for line in _run(repo, "cat-file", "--batch-check", input_=oids).decode().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "blob":
            sizes[parts[0]] = int(parts[2])
    return [TreeEntry(p, "blob", mode, oid, sizes[oid]) for p, mode, oid in changes if oid in sizes]


def read_blob(repo: Path, oid: str, *, limit: int | None = None) -> bytes:
    """A blob's bytes (at most ``limit`` of them when given)."""
    if limit is None:
        return _run(repo, "cat-file", "blob", oid)
    with subprocess.Popen(
        ["git", "cat-file", "blob", oid],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as proc:
        assert proc.stdout is not None
        data = proc.stdout.read(limit)
        proc.kill()
    return data


def stream_blob(repo: Path, oid: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    with subprocess.Popen(
        ["git", "cat-file", "blob", oid],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as proc:
        assert proc.stdout is not None
        while chunk := proc.stdout.read(chunk_size):
            yield chunk


def read_small_blobs(repo: Path, oids: list[str], *, max_size: int) -> dict[str, bytes]:
    """The bytes of each blob in ``oids`` no larger than ``max_size``, in two git calls
    (sizes first, so a large blob is never read). Missing or larger objects are left out."""
    unique = list(dict.fromkeys(oids))
    if not unique:
        return {}
    checked = _run(repo, "cat-file", "--batch-check", input_="\n".join(unique).encode() + b"\n")
    small = []
    for line in checked.decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "blob" and int(parts[2]) <= max_size:
            small.append(parts[0])
    if not small:
        return {}
    out = _run(repo, "cat-file", "--batch", input_="\n".join(small).encode() + b"\n")
    blobs: dict[str, bytes] = {}
    pos = 0
    while pos < len(out):
        header_end = out.index(b"\n", pos)
        oid, _otype, size = out[pos:header_end].decode().split()
        start = header_end + 1
        blobs[oid] = out[start : start + int(size)]
        pos = start + int(size) + 1
    return blobs


def new_blobs(repo: Path, new: str) -> list[tuple[str, str]]:
    """(oid, path) of the blobs reachable from ``new`` and from no existing ref: what a push
    brings (run in ``pre-receive``, the pushed objects are visible and the refs not moved)."""
    named = _run(repo, "rev-list", "--objects", new, "--not", "--all").decode(
        "utf-8", "surrogateescape"
    )
    paths: dict[str, str] = {}
    for line in named.splitlines():
        oid, _, path = line.partition(" ")
        paths.setdefault(oid, path)
    oids = list(paths)
    if not oids:
        return []
    checked = _run(repo, "cat-file", "--batch-check", input_="\n".join(oids).encode() + b"\n")
    blobs = []
    for line in checked.decode().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "blob":
            blobs.append((parts[0], paths.get(parts[0], parts[0])))
    return blobs


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: datetime
    committer_name: str
    committed_at: datetime
    title: str
    message: str


_LOG_FORMAT = "%H%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ct%x00%B%x1e"


def _parse_commits(out: bytes) -> list[Commit]:
    commits = []
    for record in out.decode("utf-8", "replace").split("\x1e"):
        record = record.lstrip("\n")
        if not record:
            continue
        sha, parents, an, ae, at, cn, ct, body = record.split("\0", 7)
        body = body.rstrip("\n")
        commits.append(
            Commit(
                sha=sha,
                parents=tuple(parents.split()),
                author_name=an,
                author_email=ae,
                authored_at=datetime.fromtimestamp(int(at), UTC),
                committer_name=cn,
                committed_at=datetime.fromtimestamp(int(ct), UTC),
                title=body.split("\n", 1)[0],
                message=body,
            )
        )
    return commits


def log(repo: Path, sha: str, *, path: str = "", skip: int = 0, limit: int = 30) -> list[Commit]:
    """Commits reachable from ``sha`` (touching ``path`` if given), newest first."""
    args = [
        "log",
        f"--format={_LOG_FORMAT}",
        f"--skip={max(0, skip)}",
        f"--max-count={max(0, limit)}",
        sha,
        "--",
    ]
    if path:
        args.append(path)
    return _parse_commits(_run(repo, *args))


def commit(repo: Path, sha: str) -> Commit | None:
    commits = log(repo, sha, limit=1)
    return commits[0] if commits and commits[0].sha == sha else None


def commits(repo: Path, shas: list[str]) -> dict[str, Commit]:
    """The named commits (full ids), by id, in one git call; unknown ids are left out."""
    wanted = [s for s in dict.fromkeys(shas) if is_full_sha(s)]
    if not wanted:
        return {}
    out = _run(
        repo, "log", "--no-walk=unsorted", f"--format={_LOG_FORMAT}", *wanted, "--", check=False
    )
    return {c.sha: c for c in _parse_commits(out)}


def count_commits(repo: Path, sha: str) -> int:
    return int(_run(repo, "rev-list", "--count", sha).strip() or 0)


def count_pushed_commits(repo: Path, *, old: str, new: str, ref: str) -> int:
    """Commits a ref update brought in (after the update): ``old..new``, or for a new ref the
    commits of ``new`` that no other ref reaches. 0 for a deletion or on any git error."""
    if not is_full_sha(new) or set(new) == {"0"}:
        return 0
    if is_full_sha(old) and set(old) != {"0"}:
        out = _run(repo, "rev-list", "--count", f"{old}..{new}", check=False)
    else:
        out = _run(
            # Every ref but this one; not --all, which includes HEAD (usually this ref).
            repo,
            "rev-list",
            "--count",
            new,
            "--not",
            f"--exclude={ref}",
            "--glob=refs/*",
            check=False,
        )
    try:
        return int(out.strip() or 0)
    except ValueError:
        return 0


def is_empty(repo: Path) -> bool:
    return not _run(repo, "for-each-ref", "--count=1", "refs/heads").strip()
